"""``nnblocks train --nproc``: a checkpoint written with P processes resumes with P' (1 <-> 2)
and gives the run of the other P, to float32 rounding (the global batch and the epoch order do
not depend on P; see nnblocks/cli/distributed.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from nnblocks.io import load_checkpoint
from tests.distributed.conftest import require_mpi, run_command

TRAIN = [sys.executable, "-m", "nnblocks", "train", "--quiet"]


def _train(*options: str) -> None:
    result = run_command([*TRAIN, *options], timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def _close(a: Path, b: Path) -> None:
    first, second = load_checkpoint(a), load_checkpoint(b)
    assert first.epoch == second.epoch
    assert set(first.model_state) == set(second.model_state)
    for key, value in first.model_state.items():
        scale = max(float(np.max(np.abs(value))), 1e-30)
        assert np.max(np.abs(value - second.model_state[key])) / scale < 1e-5, key


def test_resume_with_another_number_of_processes(tmp_path: Path) -> None:
    require_mpi()
    p2, p1 = tmp_path / "p2", tmp_path / "p1"
    _train("--dataset", "xor", "--epochs", "1", "--nproc", "2", "--out", str(p2))
    _train("--dataset", "xor", "--epochs", "1", "--nproc", "1", "--out", str(p1))
    _close(p2 / "checkpoint.npz", p1 / "checkpoint.npz")      # one epoch: P does not matter
    p2_then_1, p1_then_2 = tmp_path / "p2-then-1", tmp_path / "p1-then-2"
    _train("--resume", str(p2), "--epochs", "2", "--nproc", "1", "--out", str(p2_then_1))
    _train("--resume", str(p1), "--epochs", "2", "--nproc", "2", "--out", str(p1_then_2))
    _close(p2_then_1 / "checkpoint.npz", p1_then_2 / "checkpoint.npz")
    one, two = load_checkpoint(p2 / "checkpoint.npz"), load_checkpoint(p2_then_1 /
                                                                        "checkpoint.npz")
    assert two.epoch == 2 and len(two.metrics["history"]) == 2
    moved = [not np.allclose(one.model_state[k], two.model_state[k]) for k in one.model_state]
    assert any(moved)                                          # the second epoch trained
