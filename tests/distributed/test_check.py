"""``python -m nnblocks.distributed.check``: the connectivity check of the README."""

from __future__ import annotations

import socket

from tests.distributed.conftest import mpirun


def test_connectivity_check_on_two_ranks() -> None:
    result = mpirun(2, ["-m", "nnblocks.distributed.check"], timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    host = socket.gethostname()[:63]
    assert f"rank 0: {host}" in result.stdout and f"rank 1: {host}" in result.stdout
    assert "all_reduce across 2 ranks: ok" in result.stdout
