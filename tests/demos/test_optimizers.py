"""``optimizers``: every method descends; adaptive ones beat plain SGD on the ill-conditioned
quadratic."""

from __future__ import annotations

import math

from nnblocks.demos import optimizers as op
from tests.demos.conftest import assert_png


def test_every_method_descends_and_adaptive_beat_sgd(tmp_path):
    results = op.run(tmp_path, quadratic_steps=100, rosenbrock_steps=200)
    for problem in ("quadratic", "rosenbrock"):
        initial = results[problem]["initial_loss"]
        for method, r in results[problem]["methods"].items():
            assert r["final_loss"] < 0.5 * initial, (problem, method, r)
    quadratic = results["quadratic"]["methods"]
    sgd = quadratic["SGD"]["final_loss"]
    for method in op.ADAPTIVE:
        assert quadratic[method]["final_loss"] < 0.5 * sgd, (method, quadratic[method], sgd)
    assert quadratic["momentum"]["final_loss"] < sgd
    assert_png(results["figure"], tmp_path / "optimizers.png")


def test_sgd_rate_is_capped_by_the_steep_direction():
    # curvature 10 along y: plain gradient descent diverges for lr > 2/10
    start = op.PROBLEMS["quadratic"][1]
    _, losses = op.trajectory("SGD", op.quadratic, start, lr=0.3, steps=200)
    assert math.isinf(losses[-1])
    _, losses = op.trajectory("SGD", op.quadratic, start, lr=0.15, steps=200)
    assert losses[-1] < losses[0]
