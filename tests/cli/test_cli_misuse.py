"""``nnblocks`` used as an adversarial user would (issue 14): nothing of the user's is lost,
every wrong input gets one line, no silent wrong result."""

from __future__ import annotations

import contextlib
import json
import re
import sys

import numpy as np
import pytest

from nnblocks.cli.main import main
from tests.cli.test_cli import needs_digits

XOR = ["train", "--dataset", "xor", "--quiet"]


def _snapshot(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def _one_error_line(capsys, *needles):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def test_a_previous_run_is_never_overwritten_silently(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*XOR, "--epochs", "1", "--out", str(run)]) == 0
    before = _snapshot(run)
    capsys.readouterr()
    assert main([*XOR, "--epochs", "2", "--seed", "3", "--out", str(run)]) == 1
    _one_error_line(capsys, "is not empty", "--overwrite", f"e.g. {run}-2", f"--resume {run}")
    assert _snapshot(run) == before
    (run / "notes.txt").write_text("mine")
    assert main([*XOR, "--epochs", "2", "--seed", "3", "--out", str(run), "--overwrite"]) == 0
    after = _snapshot(run)
    assert after["notes.txt"] == b"mine"                   # not a run file: kept
    assert after["checkpoint.npz"] != before["checkpoint.npz"]
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line).get("epoch") for line in lines] == [1, 2, None]


def test_out_dot_with_the_users_own_files_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.json").write_text('{"mine": true}')
    (tmp_path / "metrics.jsonl").write_text("my numbers\n")
    before = _snapshot(tmp_path)
    assert main([*XOR, "--epochs", "1", "--out", "."]) == 1
    _one_error_line(capsys, "'config.json'", "--overwrite")
    assert _snapshot(tmp_path) == before


def test_a_guard_failure_never_names_a_checkpoint_of_an_earlier_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*XOR, "--epochs", "1", "--out", str(run)]) == 0
    (run / "notes.txt").write_text("mine")
    capsys.readouterr()
    argv = [*XOR, "--optimizer", "sgd", "--lr", "1e30", "--epochs", "2", "--out", str(run),
            "--overwrite"]
    assert main(argv) == 1
    err = _one_error_line(capsys, "training stopped: non-finite", "no checkpoint was written")
    assert "checkpoint.npz" not in err
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]   # no empty metrics.jsonl


def test_stale_tmp_files_of_ours_are_removed_at_start_and_resume(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*XOR, "--epochs", "1", "--out", str(run)]) == 0
    ours = [run / ".checkpoint.npz.k3j_9x2a.tmp", run / ".best.npz.abcdefgh.tmp"]
    theirs = [run / ".notes.txt.abcdefgh.tmp", run / "checkpoint.npz.tmp"]
    for p in ours + theirs:
        p.write_bytes(b"half a file")
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    assert not any(p.exists() for p in ours) and all(p.exists() for p in theirs)
    fresh = tmp_path / "fresh"                          # only our leftovers: counts as empty
    fresh.mkdir()
    ours[0] = fresh / ours[0].name
    ours[0].write_bytes(b"half a file")
    assert main([*XOR, "--epochs", "1", "--out", str(fresh)]) == 0
    assert not ours[0].exists() and (fresh / "checkpoint.npz").is_file()


@pytest.mark.parametrize("argv, exit_status, message", [
    (["--dataset", "mnist", "--data-dir", "{tmp}/no-data"], 1, "--download"),
    (["--dataset", "xor", "--model", "lenet"], 1, "needs images"),
    (["--dataset", "xor", "--seed", "-1"], 2, "argument --seed: expected a non-negative"),
    (["--dataset", "xor", "--optimizer", "sgd", "--lr", "1e30"], 1, "training stopped"),
])
def test_a_run_failing_before_its_first_epoch_leaves_no_directory(tmp_path, capsys, argv,
                                                                  exit_status, message):
    out = tmp_path / "new" / "run"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) if exit_status == 2 else contextlib.nullcontext() as info:
        status = main(["train", *argv, "--epochs", "1", "--quiet", "--out", str(out)])
    if exit_status == 2:
        status = info.value.code
    assert status == exit_status
    _one_error_line(capsys, message)
    assert not (tmp_path / "new").exists()


def test_resume_with_more_epochs_continues_the_longer_schedule(tmp_path, capsys):
    common = [*XOR, "--schedule", "cosine", "--optimizer", "sgd", "--lr", "0.5"]
    assert main([*common, "--epochs", "2", "--out", str(tmp_path / "short")]) == 0
    assert main(["train", "--resume", str(tmp_path / "short"), "--epochs", "4", "--quiet"]) == 0
    assert main([*common, "--epochs", "4", "--out", str(tmp_path / "long")]) == 0

    def rates(run):
        lines = (tmp_path / run / "metrics.jsonl").read_text().splitlines()
        return [json.loads(line)["lr"] for line in lines if "lr" in json.loads(line)]

    resumed, planned = rates("short"), rates("long")
    assert resumed[:2] == [0.5, 0.25]                    # the 2-epoch cosine
    np.testing.assert_allclose(resumed[2:], planned[2:], rtol=1e-12)   # then the 4-epoch one
    assert resumed[2] > resumed[3]                       # annealing, not climbing back
    config = json.loads((tmp_path / "short" / "config.json").read_text())
    assert config["epochs"] == 4 and config["schedule"]["T_max"] == 4


def test_predict_refuses_nan_and_empty_inputs_and_warns_outside_the_trained_range(
        tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*XOR, "--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    cases = {"nan": np.array([[0.1, np.nan]]), "empty": np.zeros((0, 2)),
             "big": np.array([[255.0, 0.0], [3.0, 128.0]])}
    for name, array in cases.items():
        np.save(tmp_path / f"{name}.npy", array)
    assert main(["predict", str(run), str(tmp_path / "nan.npy")]) == 1
    _one_error_line(capsys, "NaN or infinite", "example 0")
    assert main(["predict", str(run), str(tmp_path / "empty.npy")]) == 1
    _one_error_line(capsys, "no inputs")
    assert main(["predict", str(run), str(tmp_path / "big.npy"), "--threads", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "warning" in captured.err
    assert "inputs range over [0, 255]" in captured.err and "trained on" in captured.err
    assert len(captured.out.splitlines()) == 3


@needs_digits
def test_a_huge_learning_rate_is_reported(tmp_path, capsys):
    argv = ["train", "--lr", "1e6", "--epochs", "1", "--quiet", "--out", str(tmp_path / "r")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("test accuracy")
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("nnblocks: warning: training diverged: the test loss")


def test_divergence_rules(tmp_path):
    from nnblocks.cli.train import divergence

    class Splits:
        num_classes = 4
        test = (None, np.array([0, 0, 0, 1, 2, 3]))        # most common class: 0.5

    up = [{"loss": 1.0}, {"loss": 1.2}]
    down = [{"loss": 1.0}, {"loss": 0.5}]
    assert "above the first epoch's 1" in divergence(up, {"loss": 0.5, "accuracy": 0.9}, Splits)
    assert "uniform guess" in divergence(down, {"loss": 1.5, "accuracy": 0.9}, Splits)
    assert "at chance" in divergence(down, {"loss": 0.5, "accuracy": 0.5}, Splits)
    assert divergence(down, {"loss": 0.5, "accuracy": 0.51}, Splits) is None


def test_threads_are_checked(tmp_path, capsys):
    for bad in ("-3", "0", "many"):
        with pytest.raises(SystemExit) as info:
            main([*XOR, "--threads", bad])
        assert info.value.code == 2
        _one_error_line(capsys, "argument --threads: expected a positive integer")
    assert main([*XOR, "--epochs", "1", "--threads", "1000", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert re.search(r"warning: --threads 1000 is more than the \d+ cores", err)


def test_version(capsys):
    from nnblocks import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"nnblocks {__version__}\n"


@pytest.mark.parametrize("edit, field", [
    (lambda m: m.update(epoch="ten"), "manifest field 'epoch'"),
    (lambda m: m["config"]["optimizer"].update({"class": "lr_scheduler"}),
     "config field 'optimizer.class'"),
    (lambda m: m["config"].update(batch_size="64"), "config field 'batch_size'"),
    (lambda m: m["config"]["model"].update(name="os"), "config field 'model.name'"),
])
def test_a_hand_edited_manifest_gives_one_line_naming_the_field(tmp_path, capsys, edit, field):
    from tests.io.test_checkpoint import _rewrite_manifest

    run = tmp_path / "run"
    assert main([*XOR, "--epochs", "1", "--out", str(run)]) == 0
    _rewrite_manifest(run / "checkpoint.npz", edit)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 1
    _one_error_line(capsys, field)
    assert main(["info", str(run)]) == 1
    _one_error_line(capsys, "nnblocks: error: ")


def test_a_figure_skipped_without_matplotlib_says_so(tmp_path, capsys, monkeypatch):
    import nnblocks.demos as demos

    for name in [m for m in sys.modules if m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)               # restored after the test
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib fails
    assert main([*XOR, "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert err == ("nnblocks: warning: curves.png skipped: matplotlib is not installed "
                   "(pip install 'nnblocks[plot]')\n")
    assert not (tmp_path / "run" / "curves.png").exists()
    monkeypatch.setattr(demos, "registry", lambda: {"fake": ("a demo", lambda out, rng: {})})
    assert main(["demo", "fake", "--out", str(tmp_path / "demo")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fake demo's figure is skipped" in err
    assert "nnblocks[plot]" in err


def test_a_failed_run_keeps_a_parent_directory_another_run_now_uses(tmp_path, capsys,
                                                                     monkeypatch):
    """``runs/`` made by a failing run but meanwhile holding another run's directory stays."""
    import nnblocks.cli.train as cli_train

    original = cli_train.new_run

    def another_run_starts(*args, **kwargs):
        (tmp_path / "runs" / "other").mkdir()
        (tmp_path / "runs" / "other" / "checkpoint.npz").write_bytes(b"theirs")
        return original(*args, **kwargs)

    monkeypatch.setattr(cli_train, "new_run", another_run_starts)
    out = tmp_path / "runs" / "mine"
    assert main([*XOR, "--model", "lenet", "--epochs", "1", "--out", str(out)]) == 1
    _one_error_line(capsys, "needs images")
    assert not out.exists() and (tmp_path / "runs" / "other" / "checkpoint.npz").is_file()
