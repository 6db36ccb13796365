"""Faults: a rank SIGKILLed mid-epoch or mid-checkpoint, or raising, stops the others within the
timeout with one line naming it; the checkpoint on disk stays loadable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnblocks.io import load_checkpoint
from tests.distributed.conftest import ROOT, mpi_env, mpirun, require_mpi

TIMEOUT = 60          # the bound: survivors stop well within it


def _one_line(stderr: str, needle: str) -> list[str]:
    return [line for line in stderr.splitlines() if needle in line]


def test_rank_killed_mid_checkpoint(tmp_path: Path) -> None:
    require_mpi()
    started = time.monotonic()
    result = mpirun(2, ["-m", "tests.distributed.fault_worker", str(tmp_path),
                        "kill-checkpoint"], timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT
    assert result.returncode != 0
    lines = _one_line(result.stderr, "rank 0 (pid")
    assert len(lines) == 1 and "died" in lines[0], result.stderr[-2000:]
    assert "finished" not in result.stdout
    ckpt = load_checkpoint(tmp_path / "checkpoint.npz")    # the previous, complete one
    assert ckpt.epoch == 1
    assert set(ckpt.model_state) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_rank_raising_is_named(tmp_path: Path) -> None:
    require_mpi()
    result = mpirun(2, ["-m", "tests.distributed.fault_worker", str(tmp_path), "raise"],
                    timeout=TIMEOUT)
    assert result.returncode != 0
    lines = _one_line(result.stderr, "nnblocks.distributed:")
    own = _one_line(result.stderr, "rank 1 failed: ValueError: injected failure in rank 1")
    assert len(own) == 1, result.stderr[-2000:]
    for line in lines:                       # the survivor's line, if it got to write one
        assert "rank 1 failed" in line, line
    assert load_checkpoint(tmp_path / "checkpoint.npz").epoch == 1


def _parents() -> dict[int, int]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            table[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return table


def _rank_pid(root: int, rank: int) -> int | None:
    """pid of the process of ``rank`` (its PMI_RANK) among the descendants of ``root``
    (Hydra starts each rank in a session of its own, so the process tree is the link)."""
    parents = _parents()
    for pid in parents:
        ancestor = pid
        while ancestor not in (0, 1, root) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor != root:
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in environ:
            return pid
    return None


def test_cli_rank_sigkilled_mid_epoch(tmp_path: Path) -> None:
    """``nnblocks train --nproc 2``: SIGKILL rank 1 after the first checkpoint, mid-training."""
    require_mpi()
    out = tmp_path / "run"
    command = [sys.executable, "-m", "nnblocks", "train", "--dataset", "xor", "--epochs",
               "400", "--nproc", "2", "--quiet", "--out", str(out), "--dist-timeout", "30"]
    proc = subprocess.Popen(command, cwd=ROOT, env=mpi_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (out / "checkpoint.npz").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoint written"
            time.sleep(0.05)
        pid = _rank_pid(proc.pid, 1)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the surviving rank did not stop within the timeout")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - killed < TIMEOUT
    assert proc.returncode != 0
    lines = _one_line(err, f"rank 1 (pid {pid} on")
    assert len(lines) == 1 and "died" in lines[0], err[-2000:]
    ckpt = load_checkpoint(out / "checkpoint.npz")
    assert ckpt.epoch >= 1 and ckpt.model_state
