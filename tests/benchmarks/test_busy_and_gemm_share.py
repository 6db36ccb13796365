"""benchmarks/busy.py stops what it starts; benchmarks/gemm_share.py tells GEMM lines from
other work. No timing is asserted."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.busy import BusyLoops
from benchmarks.gemm_share import GEMM_LINE, gemm_share


def test_busy_loops_are_stopped_on_exit_and_on_an_exception() -> None:
    with BusyLoops(2) as busy:
        procs = list(busy.procs)
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
    with pytest.raises(KeyboardInterrupt):
        with BusyLoops(1) as busy:
            procs = list(busy.procs)
            raise KeyboardInterrupt
    assert all(p.poll() is not None for p in procs)
    with pytest.raises(ValueError, match="n must be >= 0"):
        BusyLoops(-1)


def test_gemm_lines_are_recognized() -> None:
    for line in ["y = a @ b", "np.matmul(w, x, out=y)", "out = np.dot(a, b)", "x @= w",
                 "np.einsum('ij,jk', a, b)"]:
        assert GEMM_LINE.search(line), line
    for line in ["@kernel", "y = a * b + c", "total += x[i]", "email = 'a@b.c'"]:
        assert not GEMM_LINE.search(line), line


def test_share_is_high_for_matmuls_and_low_for_python() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((384, 384), dtype=np.float32)

    def gemms() -> None:
        for _ in range(4):
            a @ a

    def python_loop() -> None:
        total = 0
        for i in range(20_000):
            total += i * i

    high = gemm_share(gemms, min_s=0.3, min_steps=3)
    low = gemm_share(python_loop, min_s=0.3, min_steps=3)
    assert high["samples"] > 0 and high["share"] > 0.5, high
    assert low["share"] is None or low["share"] < 0.5, low
