"""500 random command lines, valid and invalid, run in-process (issue 14).

Every run either succeeds, or exits non-zero with one line on stderr (warnings of a failing
command are dropped: the error is the line that matters) and no traceback; no file that existed
before changes, except the run files of the output directory under ``--overwrite`` and those of
a run resumed in place; a new directory of a run that failed before its first checkpoint is gone.

To stay fast, the data are cut to a few examples (``load_splits`` is wrapped), figures are
replaced by a stub that writes a small file, ``fsync`` is a no-op and ``--download`` fetches
nothing: what is tested is the command line's checking and bookkeeping; the real training runs,
on tiny data, for the valid combinations.
"""

from __future__ import annotations

import os
import shutil
import zlib

import numpy as np
import pytest

import nnblocks.cli.inspect as cli_inspect
import nnblocks.cli.session as cli_session
import nnblocks.cli.train as cli_train
from nnblocks.cli.main import main
from nnblocks.cli.rundir import RUN_FILES
from nnblocks.data import DATASETS, DownloadError
from nnblocks.models import MODELS

COMBINATIONS = 500
KEEP = 24                                   # examples kept per split


def _tiny(load):
    cache: dict[str, object] = {}

    def load_tiny(config, **kwargs):
        key = repr(sorted(config.items()))
        if key not in cache:
            splits = load(config, **kwargs)
            for part in ("train", "val", "test"):
                value = getattr(splits, part)
                if value is not None:
                    setattr(splits, part, (value[0][:KEEP], value[1][:KEEP]))
            cache[key] = splits
        return cache[key]

    return load_tiny


def _fake_plot(history, path):
    with open(path, "wb") as f:
        f.write(b"png")
    return path


def _no_download(*args, **kwargs):
    raise DownloadError("downloads are off in this test")


@pytest.fixture
def fast_cli(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)                        # the default --out is runs/... here
    for module in (cli_train, cli_session, cli_inspect):
        monkeypatch.setattr(module, "load_splits", _tiny(module.load_splits))
    monkeypatch.setattr(cli_train, "plot_curves", _fake_plot)
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    import nnblocks.data.catalog as catalog

    monkeypatch.setattr(catalog, "fetch", _no_download)
    monkeypatch.setitem(catalog.DEFAULTS["text"], "seq_len", 8)     # a cheap charrnn
    monkeypatch.setenv("NNBLOCKS_CACHE", str(tmp_path / "cache"))
    import nnblocks.demos as demos

    monkeypatch.setattr(demos, "registry", lambda: {"fake": ("a fake demo", lambda o, rng: {})})


def _choice(rng, values):
    return values[int(rng.integers(len(values)))]


TRAIN_OPTIONS = {
    "--model": [*MODELS, "mlp", "mlp", "nope"],
    "--dataset": [*DATASETS, "xor", "xor", "spirals", "parity", "digits", "nope"],
    "--epochs": ["1", "1", "2", "3", "0", "-1", "x"],
    "--batch-size": ["8", "64", "1", "0", "-2", "x"],
    "--optimizer": ["sgd", "momentum", "dbd", "adagrad", "rmsprop", "adam", "bad"],
    "--lr": ["0.01", "1e-3", "0.5", "1e30", "0", "-1", "nan", "inf", "x"],
    "--schedule": ["none", "step", "cosine", "exponential", "inverse-time", "bad"],
    "--seed": ["0", "1", "7", "-1", "x", "99999999999999999999999"],
    "--patience": ["1", "2", "0"],
    "--out": ["prev", "user", "empty", "new/run", "file.txt", "."],
    "--resume": ["prev", "prev/checkpoint.npz", "missing", "file.txt", "empty"],
    "--data-dir": ["empty", "missing"],
    "--text-file": ["tiny.txt", "missing.txt", "blob.bin"],
    "--threads": ["1", "2", "0", "-3", "1000", "x"],
}
FLAGS = ["--overwrite", "--download", "--bogus"]
#: values that are always wrong, left out of half the combinations so that many runs train
INVALID = {"nope", "0", "-1", "-2", "-3", "x", "bad", "nan", "inf", "1e30", "1000", "missing",
           "file.txt", "missing.txt", "blob.bin", "99999999999999999999999", "--bogus"}


def _train_argv(rng):
    argv = _train_argv_any(rng)
    if rng.random() < 0.5:                         # a clean combination
        clean = []
        for token in argv:
            if token == "--bogus":
                continue
            if token in INVALID:
                clean.pop()                        # the option goes with its value
            else:
                clean.append(token)
        argv = clean
    return argv


def _train_argv_any(rng):
    argv = ["train", "--quiet"]
    if rng.random() < 0.85:
        argv += ["--dataset", _choice(rng, ["xor", "spirals", "parity", "digits", "text",
                                            "mnist", "xor"])]
    if rng.random() < 0.85:
        argv += ["--epochs", _choice(rng, ["1", "1", "2"])]
    for option, values in TRAIN_OPTIONS.items():
        if option in ("--dataset", "--epochs") and option in argv:
            continue
        if rng.random() < (0.35 if option != "--resume" else 0.15):
            argv += [option, _choice(rng, values)]
    for flag in FLAGS:
        if rng.random() < (0.2 if flag != "--bogus" else 0.03):
            argv.append(flag)
    return argv


def _other_argv(rng):
    command = _choice(rng, ["evaluate", "predict", "info", "sample", "demo", "--version", ""])
    checkpoint = _choice(rng, ["prev", "prev/best.npz", "missing", "file.txt", "empty"])
    if command == "evaluate":
        return ["evaluate", checkpoint, *_maybe(rng, "--split", ["test", "val", "train", "x"])]
    if command == "predict":
        inputs = _choice(rng, [[], ["good.npy"], ["nan.npy"], ["empty.npy"], ["big.npy"],
                               ["good.csv"], ["missing.npy"], ["file.txt"]])
        return ["predict", checkpoint, *inputs, *_maybe(rng, "--count", ["1", "3", "0", "x"]),
                *_maybe(rng, "--threads", ["1", "0", "1000"])]
    if command == "info":
        return ["info", checkpoint]
    if command == "sample":
        return ["sample", checkpoint, *_maybe(rng, "--length", ["5", "0", "x"]),
                *_maybe(rng, "--temperature", ["1", "0", "-1", "nan"]),
                *_maybe(rng, "--threads", ["1", "-3"])]
    if command == "demo":
        return ["demo", *_maybe(rng, "", ["fake", "nope", "--list"]),
                *_maybe(rng, "--seed", ["0", "-1"]), "--out", "demo"]
    return [command] if command else []


def _maybe(rng, option, values):
    if rng.random() < 0.5:
        return []
    value = _choice(rng, values)
    return [value] if option == "" else [option, value]


def _populate(case, base):
    """A previous run, a directory of the user's, an empty one, a file, some inputs."""
    shutil.copytree(base, case / "prev")
    (case / "prev" / "notes.txt").write_text("the user's notes")
    (case / "user").mkdir()
    (case / "user" / "config.json").write_text('{"mine": true}')
    (case / "user" / "notes.txt").write_text("the user's notes")
    (case / "empty").mkdir()
    (case / "file.txt").write_text("not a checkpoint")
    (case / "tiny.txt").write_text("the cat sat on the mat. " * 8)
    (case / "blob.bin").write_bytes(bytes(range(256)) * 4)
    np.save(case / "good.npy", np.zeros((2, 2)))
    np.save(case / "nan.npy", np.full((1, 2), np.nan))
    np.save(case / "empty.npy", np.zeros((0, 2)))
    np.save(case / "big.npy", np.full((2, 2), 255.0))
    (case / "good.csv").write_text("0.1,0.2\n0.3,0.4\n")


def _snapshot(case):
    return {p.relative_to(case): p.read_bytes() for p in case.rglob("*") if p.is_file()}


def _may_change(path, argv):
    """Whether a pre-existing file may legitimately change under this command line."""
    if path.name not in RUN_FILES or argv[:1] != ["train"]:
        return False
    directory = str(path.parent)
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    resume = argv[argv.index("--resume") + 1] if "--resume" in argv else None
    if resume is not None and resume.split("/")[0] == directory and out in (None, directory):
        return True                                    # resumed in place
    return "--overwrite" in argv and out is not None and out.rstrip("/") == directory


def test_random_command_lines(tmp_path, capsys, fast_cli, request):
    base = tmp_path / "base"
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--quiet", "--out",
                 str(base)]) == 0
    rng = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
    outcomes = {"ok": 0, "error": 0}
    for i in range(COMBINATIONS):
        case = tmp_path / f"case-{i}"
        case.mkdir()
        _populate(case, base)
        os.chdir(case)
        argv = _train_argv(rng) if rng.random() < 0.75 else _other_argv(rng)
        before = _snapshot(case)
        capsys.readouterr()
        try:
            status = main(argv)
        except SystemExit as e:                        # argparse: usage errors, --version
            status = e.code
        captured = capsys.readouterr()
        context = f"case {i}: nnblocks {' '.join(argv)}\n{captured.err}"
        assert "Traceback" not in captured.err + captured.out, context
        if status != 0:
            assert captured.err.count("\n") == 1 and "warning" not in captured.err, context
            assert status in (1, 2), context
        outcomes["ok" if status == 0 else "error"] += 1
        after = _snapshot(case)
        for path, content in before.items():
            if not _may_change(path, argv):
                assert after.get(path) == content, f"{context}\n{path} changed"
        new_run = case / "new"
        if status != 0 and new_run.exists():
            assert (new_run / "run" / "checkpoint.npz").is_file(), context
        shutil.rmtree(case)
    # both kinds are exercised in earnest
    assert outcomes["ok"] > COMBINATIONS // 5 and outcomes["error"] > COMBINATIONS // 5, outcomes
