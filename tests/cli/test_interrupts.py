"""Ctrl-C at 20 points in time (issue 14): 16 chosen events of an in-process run (from argument
checks to the last figure, checkpoint writes included) and 4 moments while numba compiles the
kernels with an empty cache (subprocesses, run in parallel). Every time: exit status 130, one
line on stderr, a resume hint exactly when a checkpoint of this run exists (and it loads), no
temporary file left, and no directory left by a run that had no checkpoint yet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nnblocks.cli.train as cli_train
import nnblocks.train.loop as loop
from nnblocks.cli.main import main
from nnblocks.io import read_checkpoint
from tests.cli.test_cli import REPO, needs_digits

XOR = ["train", "--dataset", "xor", "--epochs", "2", "--quiet"]


def _interrupt_at(monkeypatch, owner, name, call=1):
    """Make the ``call``-th call of ``owner.name`` send SIGINT to this process first."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            signal.raise_signal(signal.SIGINT)      # handled at the next bytecode, as Ctrl-C
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


def _check(status, err, out_dir, checkpoint_expected):
    assert status == 130, err
    assert err.count("\n") == 1 and err.startswith("nnblocks: interrupted"), err
    assert "Traceback" not in err
    hint = " resume with: nnblocks train --resume "
    if checkpoint_expected:
        assert hint in err, err
        path = Path(err.split(hint)[1].strip())
        assert path.is_file() and read_checkpoint(path).epoch >= 1
    else:
        assert hint not in err, err
    if out_dir is not None:
        if checkpoint_expected:
            assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]
        else:
            assert not out_dir.exists()


# (where, call number, whether a checkpoint of the run exists when the interrupt lands)
NEW_RUN_POINTS = [
    ((cli_train, "build_config"), 1, False),                  # checking the arguments
    ((cli_train.RunDirectory, "clear_run_files"), 1, False),  # the directory was just made
    ((cli_train, "load_splits"), 1, False),                   # reading the data
    ((cli_train, "build_run"), 1, False),                     # building the model
    ((cli_train, "atomic_write"), 1, False),                  # writing config.json
    ((cli_train.GradNormLogger, "on_after_backward"), 1, False),   # the first step
    ((cli_train.GradNormLogger, "on_after_backward"), 12, False),  # the first epoch's end
    ((loop, "evaluate"), 1, False),                           # validation of epoch 1
    ((np, "savez"), 1, False),                                # writing best.npz of epoch 1
    ((np, "savez"), 2, False),                                # writing checkpoint.npz of 1
    ((cli_train.GradNormLogger, "on_after_backward"), 20, True),   # epoch 2
    ((np, "savez"), 4, True),                                 # checkpoint.npz of epoch 2
    ((cli_train, "evaluate"), 1, True),                       # the test set
    ((cli_train, "plot_curves"), 1, True),                    # the figure
]


@pytest.mark.parametrize("target, call, has_checkpoint", NEW_RUN_POINTS,
                         ids=[f"{t[1]}-{c}" for t, c, _ in NEW_RUN_POINTS])
def test_interrupting_a_new_run(tmp_path, capsys, monkeypatch, target, call, has_checkpoint):
    out = tmp_path / "new" / "run"
    if target[1] == "clear_run_files":
        extra = ["--overwrite"]
    else:
        extra = []
    _interrupt_at(monkeypatch, *target, call=call)
    status = main([*XOR, "--out", str(out), *extra])
    _check(status, capsys.readouterr().err, out, has_checkpoint)


@pytest.mark.parametrize("target", [(cli_train, "read_checkpoint"),
                                    (cli_train.GradNormLogger, "on_after_backward")])
def test_interrupting_a_resumed_run(tmp_path, capsys, monkeypatch, target):
    run = tmp_path / "run"
    assert main([*XOR, "--out", str(run)]) == 0
    capsys.readouterr()
    _interrupt_at(monkeypatch, *target)
    status = main(["train", "--resume", str(run), "--epochs", "3", "--quiet"])
    _check(status, capsys.readouterr().err, run, checkpoint_expected=True)
    assert read_checkpoint(run / "checkpoint.npz").epoch == 2      # untouched


@needs_digits
def test_interrupting_while_numba_compiles_with_an_empty_cache(tmp_path):
    """SIGINT once 1, 2, 4 and 7 kernels are compiled (counted by numba's cache index files):
    the compilation in progress ends, then the run stops with one line."""
    pytest.importorskip("numba")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NNBLOCKS_DISABLE_NUMBA", None)
    runs = []
    for kernels in (1, 2, 4, 7):
        cache = tmp_path / f"numba-{kernels}"
        out = tmp_path / f"run-{kernels}"
        process = subprocess.Popen(
            [sys.executable, "-m", "nnblocks", "train", "--epochs", "1", "--quiet",
             "--out", str(out)], cwd=tmp_path, env={**env, "NUMBA_CACHE_DIR": str(cache)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        runs.append([kernels, cache, out, process, False])
    deadline = time.monotonic() + 120
    while any(not sent for *_, sent in runs) and time.monotonic() < deadline:
        for run in runs:
            kernels, cache, _, process, sent = run
            if not sent and (len(list(cache.rglob("*.nbi"))) >= kernels
                             or process.poll() is not None):
                process.send_signal(signal.SIGINT)
                run[4] = True
        time.sleep(0.02)
    for kernels, _, out, process, _ in runs:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, (kernels, stdout, stderr)
        _check(130, stderr, out, checkpoint_expected=False)
