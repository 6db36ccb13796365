"""The α–β ring model and its fit (benchmarks/allreduce_model.py, benchmarks/distributed.py)."""

from __future__ import annotations

import pytest

from benchmarks.allreduce_model import efficiency, ring_seconds
from benchmarks.distributed import SWEEP_BYTES, fit_alpha_beta


def test_ring_cost_formula() -> None:
    # P = 4: 6 latencies and 2·3/4 of the bytes
    assert ring_seconds(1000, 4, alpha=1e-6, beta=1e-9) == pytest.approx(6e-6 + 1.5e-6)
    assert ring_seconds(1000, 1, alpha=1.0, beta=1.0) == 0.0


def test_fit_recovers_alpha_and_beta() -> None:
    alpha, beta = 15e-6, 0.5e-9
    rows = [{"bytes": n, "seconds": ring_seconds(n, 2, alpha, beta)} for n in SWEEP_BYTES]
    got_alpha, got_beta = fit_alpha_beta(rows)
    assert got_alpha == pytest.approx(alpha, rel=1e-6)
    assert got_beta == pytest.approx(beta, rel=1e-6)


def test_overlap_hides_all_but_the_last_bucket() -> None:
    compute, alpha, beta = 0.03, 0.0, 1e-9
    one = efficiency(compute, [8e6], 2, alpha, beta, backward_share=2 / 3)
    split = efficiency(compute, [4e6, 2e6, 2e6], 2, alpha, beta, backward_share=2 / 3)
    assert one == pytest.approx(compute / (compute + 8e6 * beta))
    assert split == pytest.approx(compute / (compute + 2e6 * beta))   # the last bucket only
    assert split > one
