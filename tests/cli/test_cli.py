"""The ``nnblocks`` command end to end: the quickstart in a subprocess (tiny setting), the other
subcommands, exact resume through the CLI, and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnblocks.cli.main import main
from nnblocks.data import DatasetNotFoundError, digits_path
from tests.data.test_download import server  # noqa: F401 - the loopback HTTP fixture

REPO = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^test accuracy \d\.\d{4}  test loss \S+  time \d+\.\d s  -> (\S+)$")


def _has_digits() -> bool:
    try:
        digits_path()
    except DatasetNotFoundError:
        return False
    return True


needs_digits = pytest.mark.skipif(not _has_digits(), reason="scikit-learn's digits not installed")


def _run(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "nnblocks", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@needs_digits
def test_quickstart_in_a_subprocess(tmp_path):
    """The README's two commands, on a tiny setting (a small MLP for two epochs)."""
    result = _run("train", "--model", "mlp", "--epochs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = SUMMARY.match(lines[-1])
    assert match and match.group(1) == str(Path("runs") / "mlp-digits")
    run = tmp_path / "runs" / "mlp-digits"
    assert {"checkpoint.npz", "best.npz", "metrics.jsonl", "config.json", "curves.png"} <= {
        p.name for p in run.iterdir()}
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r.get("epoch") for r in records[:2]] == [1, 2] and "test_accuracy" in records[-1]
    assert json.loads((run / "config.json").read_text())["model"]["name"] == "mlp"
    evaluated = _run("evaluate", "runs/mlp-digits/checkpoint.npz", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    accuracy = float(lines[-1].split()[2])
    assert evaluated.stdout.startswith(f"test accuracy {accuracy:.4f}")


def test_bad_usage_is_one_line_without_traceback(tmp_path):
    result = _run("train", "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unrecognized arguments" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "mnist", "--data-dir", "{tmp}/empty"], "--download"),
    (["train", "--out", "{tmp}/file.txt/run"], "cannot write to the output directory"),
    (["evaluate", "{tmp}/missing.npz"], "no such checkpoint"),
    (["info", "{tmp}/file.txt"], "not a readable checkpoint"),
    (["train", "--dataset", "text", "--model", "mlp"], "does not fit"),
    (["train", "--resume", "{tmp}/file.txt", "--lr", "0.1"], "cannot be combined with --resume"),
    (["demo", "no-such-demo"], "unknown demo"),
])
def test_user_errors_are_one_clear_line(tmp_path, capsys, argv, message):
    (tmp_path / "file.txt").write_text("not a checkpoint")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("nnblocks: error: ") and err.count("\n") == 1 and message in err


@needs_digits
def test_resume_through_the_cli_is_bit_exact(tmp_path, capsys):
    common = ["--model", "mlp", "--schedule", "exponential", "--quiet", "--optimizer", "momentum"]
    assert main(["train", *common, "--epochs", "3", "--out", str(tmp_path / "a")]) == 0
    assert main(["train", *common, "--epochs", "1", "--out", str(tmp_path / "b")]) == 0
    assert main(["train", "--resume", str(tmp_path / "b"), "--epochs", "3", "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].split("time")[0] == out[2].split("time")[0]   # same accuracy and loss
    with np.load(tmp_path / "a" / "checkpoint.npz") as a, \
            np.load(tmp_path / "b" / "checkpoint.npz") as b:
        names = [k for k in a.files if k.startswith(("model/", "optimizer/"))]
        assert names and all(np.array_equal(a[k], b[k]) for k in names)
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line).get("epoch") for line in lines] == [1, 2, 3, None]


@needs_digits
def test_resume_refuses_what_it_cannot_do(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    assert main(["train", "--model", "mlp", "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "1"]) == 1
    assert "already trained 2 epochs" in capsys.readouterr().err
    import nnblocks.cli.rundir as cli_rundir

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli_rundir.tempfile, "TemporaryFile", read_only)  # the run's directory
    assert main(["train", "--resume", str(run), "--epochs", "3"]) == 1
    err = capsys.readouterr().err
    assert err == f"nnblocks: error: cannot write to the output directory {run}: " \
                  "Permission denied\n"


def test_schedules_do_not_apply_to_delta_bar_delta(tmp_path, capsys):
    argv = ["train", "--dataset", "xor", "--optimizer", "dbd", "--epochs", "1", "--quiet"]
    assert main([*argv, "--schedule", "cosine", "--out", str(tmp_path / "a")]) == 1
    assert "does not apply to --optimizer dbd" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config["optimizer"]["class"] == "DeltaBarDelta" and config["schedule"]["name"] == "none"


def test_divergence_is_one_line_without_numpy_warnings(tmp_path):
    result = _run("train", "--dataset", "xor", "--optimizer", "sgd", "--lr", "1e30",
                  "--epochs", "2", "--quiet", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("nnblocks: error: training stopped: non-finite")
    bad_number = _run("train", "--lr", "fast", cwd=tmp_path)
    assert bad_number.returncode == 2
    assert "--lr: expected a positive number, got 'fast'" in bad_number.stderr


@needs_digits
def test_info_and_predict(tmp_path, capsys):
    assert main(["train", "--model", "lenet", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path)]) == 0
    info = capsys.readouterr().out
    assert "LeNet" in info and "Conv2d" in info and re.search(r"total\s+[\d,]+", info)
    assert "test        loss" in info
    assert main(["predict", str(tmp_path / "best.npz"), "--count", "4"]) == 0
    predicted = capsys.readouterr().out.splitlines()
    assert len(predicted) == 6 and predicted[-1].endswith("of 4 correct")
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((2, 64), dtype=np.float32))
    assert main(["predict", str(tmp_path), str(inputs)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_charrnn_on_a_text_file_then_sample(tmp_path, capsys):
    text = tmp_path / "tiny.txt"
    text.write_text("the cat sat on the mat. " * 40)
    assert main(["train", "--dataset", "text", "--text-file", str(text), "--epochs", "1",
                 "--quiet", "--out", str(tmp_path / "run")]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert main(["sample", str(tmp_path / "run"), "--length", "25", "--prompt", "the "]) == 0
    sampled = capsys.readouterr().out.rstrip("\n")
    assert sampled.startswith("the ") and len(sampled) == 29
    assert main(["sample", str(tmp_path / "run"), "--prompt", "XYZ"]) == 1
    assert "never saw" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "run")]) == 1


def test_sequence_task_and_demo_dispatch(tmp_path, capsys, monkeypatch):
    assert main(["train", "--dataset", "parity", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path / "parity")]) == 0
    assert SUMMARY.match(capsys.readouterr().out.strip())
    import nnblocks.demos as demos

    calls = []

    def fake(out_dir, rng=None):
        calls.append(Path(out_dir))
        return {"answer": 42.0}

    monkeypatch.setattr(demos, "registry", lambda: {"fake": ("a fake demo", fake)})
    assert main(["demo", "--list"]) == 0
    assert capsys.readouterr().out.strip() == "fake  a fake demo"
    assert main(["demo", "fake", "--out", str(tmp_path / "demo")]) == 0
    assert '"answer": 42.0' in capsys.readouterr().out and calls == [tmp_path / "demo"]


def test_mnist_downloaded_from_loopback_then_cifar_from_a_directory(
        tmp_path, capsys, monkeypatch, rng, server):  # noqa: F811 - the imported fixture
    import gzip
    import hashlib

    import nnblocks.data.downloader as downloader
    from tests.data.test_readers import _write_cifar_dir, idx_bytes

    root, url = server
    sources = []
    for stem, n in (("train", 40), ("t10k", 10)):
        for kind, array in (("images-idx3", rng.integers(0, 256, (n, 28, 28))),
                            ("labels-idx1", rng.integers(0, 10, n))):
            data = gzip.compress(idx_bytes(array.astype(np.uint8)))
            (root / f"{stem}-{kind}-ubyte.gz").write_bytes(data)
            sources.append((f"{url}{stem}-{kind}-ubyte.gz", hashlib.sha256(data).hexdigest()))
    monkeypatch.setitem(downloader.SOURCES, "mnist", sources)
    monkeypatch.setenv("NNBLOCKS_CACHE", str(tmp_path / "cache"))
    argv = ["train", "--dataset", "mnist", "--model", "mlp", "--epochs", "1", "--quiet",
            "--out", str(tmp_path / "mnist")]
    assert main(argv) == 1                                # not there, and no --download
    assert "--download" in capsys.readouterr().err
    assert main([*argv, "--download"]) == 0
    assert SUMMARY.match(capsys.readouterr().out.strip())
    assert len(list((tmp_path / "cache" / "mnist").iterdir())) == 4
    assert main(["evaluate", str(tmp_path / "mnist")]) == 0   # found in the cache again
    assert "(10 examples)" in capsys.readouterr().out

    _write_cifar_dir(tmp_path / "cifar", rng, counts=(4, 4, 4, 4, 4), test=6)
    assert main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path / "cifar"),
                 "--model", "mlp", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path / "c10")]) == 0
    assert SUMMARY.match(capsys.readouterr().out.strip())
