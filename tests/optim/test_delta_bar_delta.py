"""DeltaBarDelta (Jacobs 1988): a hand-computed example, faster than SGD on an ill-conditioned
quadratic, reduces to SGD, its hyper-parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.nn import Parameter
from nnblocks.optim import SGD, DeltaBarDelta


def test_three_steps_by_hand():
    """E(w) = ½ (0.5 w₁² + 3 w₂²), so δ = (0.5 w₁, 3 w₂); w(0) = (1, 1); lr ε(0) = 0.25,
    κ = 0.125, φ = 0.5, θ = 0.5. Every number below is a dyadic fraction, so exact.

    step 1: δ = (0.5, 3);  δ̄(0) = 0 → no change, ε = (0.25, 0.25)
            w = (1 - 0.125, 1 - 0.75) = (0.875, 0.25);     δ̄ = ½δ + ½δ̄ = (0.25, 1.5)
    step 2: δ = (0.4375, 0.75); δ̄·δ > 0 for both → ε = (0.375, 0.375)
            w = (0.875 - 0.1640625, 0.25 - 0.28125) = (0.7109375, -0.03125)
            δ̄ = (0.34375, 1.125)
    step 3: δ = (0.35546875, -0.09375); first agrees (ε₁ = 0.5), second flips sign
            (ε₂ = 0.375 - 0.5·0.375 = 0.1875)
            w = (0.7109375 - 0.177734375, -0.03125 + 0.017578125) = (0.533203125, -0.013671875)
            δ̄ = (0.349609375, 0.515625)
    """
    curvature = np.array([0.5, 3.0])
    w = Parameter(np.array([1.0, 1.0]))
    opt = DeltaBarDelta([w], lr=0.25, kappa=0.125, phi=0.5, theta=0.5)
    expected = [
        ((0.875, 0.25), (0.25, 0.25), (0.25, 1.5)),
        ((0.7109375, -0.03125), (0.375, 0.375), (0.34375, 1.125)),
        ((0.533203125, -0.013671875), (0.5, 0.1875), (0.349609375, 0.515625)),
    ]
    for step, (weights, rates, delta_bar) in enumerate(expected, start=1):
        w.grad = curvature * w.array
        opt.step()
        state = opt.state[w]
        assert state["step"] == step
        np.testing.assert_array_equal(w.array, weights)
        np.testing.assert_array_equal(state["rates"], rates)
        np.testing.assert_array_equal(state["delta_bar"], delta_bar)


def _final_loss(make_opt, curvature: np.ndarray, steps: int) -> float:
    w = Parameter(np.ones_like(curvature))
    opt = make_opt([w])
    for _ in range(steps):
        w.grad = curvature * w.array
        opt.step()
    return float(0.5 * np.sum(curvature * w.array**2))


def test_beats_sgd_on_an_ill_conditioned_quadratic():
    """E = ½ Σ hᵢ wᵢ², h from 1 to 100 (condition number 100). SGD's rate must stay below
    2 / 100 for the steep direction, so the flat one crawls; delta-bar-delta grows the flat
    direction's rate and shrinks the steep one's when it oscillates."""
    curvature = np.logspace(0, 2, 6)
    lr = 0.019
    sgd = _final_loss(lambda ps: SGD(ps, lr=lr), curvature, 200)
    dbd = _final_loss(
        lambda ps: DeltaBarDelta(ps, lr=lr, kappa=0.01, phi=0.3, theta=0.7), curvature, 200
    )
    assert sgd > 1e-4                      # measured 2.3e-4
    assert dbd < 1e-6 * sgd                # measured 6e-58


def test_rates_adapt_per_element():
    curvature = np.array([0.01, 100.0])
    w = Parameter(np.ones(2))
    opt = DeltaBarDelta([w], lr=0.015, kappa=0.01, phi=0.5, theta=0.7)
    for _ in range(30):
        w.grad = curvature * w.array
        opt.step()
    rates = opt.state[w]["rates"]
    assert rates[0] > 0.015 + 0.2          # grew by κ at (nearly) every step
    assert rates[1] < 2.0 / 100.0          # kept below the stability limit of the steep axis


def test_without_adaptation_it_is_sgd(rng):
    start = rng.normal(size=(3, 4))
    a, b = Parameter(start.copy()), Parameter(start.copy())
    dbd = DeltaBarDelta([a], lr=0.1, kappa=0.0, phi=0.0, theta=0.7)
    sgd = SGD([b], lr=0.1)
    for _ in range(20):
        a.grad = np.sin(a.array) + a.array
        b.grad = np.sin(b.array) + b.array
        dbd.step()
        sgd.step()
    np.testing.assert_array_equal(a.array, b.array)


def test_float32_stays_float32():
    w = Parameter(np.ones(4, dtype=np.float32))
    opt = DeltaBarDelta([w], lr=np.float64(0.1), kappa=0.01, phi=0.5, theta=0.5)
    for _ in range(3):
        w.grad = np.array([1.0, -1.0, 2.0, 0.0], dtype=np.float32) * w.array
        opt.step()
    assert w.dtype == np.float32
    assert opt.state[w]["rates"].dtype == np.float32
    assert opt.state[w]["delta_bar"].dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=-0.1, kappa=0.1, phi=0.5, theta=0.5), "lr"),
        (dict(lr=0.1, kappa=-0.1, phi=0.5, theta=0.5), "kappa"),
        (dict(lr=0.1, kappa=0.1, phi=1.5, theta=0.5), "phi"),
        (dict(lr=0.1, kappa=0.1, phi=-0.5, theta=0.5), "phi"),
        (dict(lr=0.1, kappa=0.1, phi=0.5, theta=1.0), "theta"),
        (dict(lr=0.1, kappa=0.1, phi=0.5, theta=float("nan")), "theta"),
    ],
)
def test_bad_hyper_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DeltaBarDelta([Parameter(np.zeros(2))], **kwargs)


def test_hyper_parameters_are_required():
    with pytest.raises(ValueError, match="kappa"):
        DeltaBarDelta([{"params": [Parameter(np.zeros(2))], "lr": 0.1}])
