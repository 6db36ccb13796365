"""Without the MPI extra, --distributed and the process group say which extra to install."""

from __future__ import annotations

import sys

import pytest

import nnblocks.distributed as dist
from nnblocks.cli.main import main


def test_distributed_without_mpi4py_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)          # import mpi4py -> ImportError
    assert main(["train", "--dataset", "xor", "--distributed"]) == 1
    assert 'pip install "nnblocks[distributed]"' in capsys.readouterr().err
    with pytest.raises(RuntimeError, match=r"nnblocks\[distributed\]"):
        dist.init_process_group("mpi")


def test_single_process_defaults_and_errors() -> None:
    assert not dist.is_initialized()
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    with pytest.raises(RuntimeError, match="not initialized"):
        dist.all_reduce([1.0])
    with pytest.raises(ValueError, match="backend must be 'mpi'"):
        dist.init_process_group("nccl")
