"""ReLU, Adam and SGD-momentum: the compiled one-pass loops give the NumPy results bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.functional.activation import ReLUBlock
from nnblocks.kernels import elementwise
from tests.kernels.conftest import both_paths, with_threads


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [7, elementwise.PARALLEL_MIN + 3])
def test_relu_is_identical(dtype, size, rng) -> None:
    x = rng.standard_normal(size).astype(dtype)
    x[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-30]
    gy = rng.standard_normal(size).astype(dtype)
    gy[:3] = [np.inf, np.nan, -0.0]

    def run():
        y, saved = ReLUBlock.forward(x.reshape(-1, 1))
        (gx,) = ReLUBlock.backward(saved, gy.reshape(-1, 1))
        return y, saved[0], gx

    with np.errstate(invalid="ignore"):                     # inf * 0 in the reference
        compiled, reference = with_threads(2, lambda: both_paths(run))
    for a, b in zip(compiled, reference):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(bits(a), bits(b))


def _train(make_opt, dtype, steps=5):
    """Parameters after ``steps`` updates with fixed gradients; both paths."""
    def run():
        rng = np.random.default_rng(0)
        params = [nb.nn.Parameter(rng.standard_normal(shape).astype(dtype))
                  for shape in [(5, 3), (7,), (2, 2, 2)]]
        opt = make_opt(params)
        for step in range(steps):
            for p in params:
                p.grad = rng.standard_normal(p.shape).astype(dtype) * (step + 1)
            opt.step()
        return [p.array.copy() for p in params] + [
            s for p in params for s in opt.state[p].values() if isinstance(s, np.ndarray)]

    return both_paths(run)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make_opt", [
    lambda ps: nb.optim.Adam(ps, lr=1e-2),
    lambda ps: nb.optim.Adam(ps, lr=1e-2, betas=(0.3, 0.9), weight_decay=0.1, maximize=True),
    lambda ps: nb.optim.AdamW(ps, lr=3e-3),
    lambda ps: nb.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: nb.optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.2, weight_decay=0.01),
], ids=["adam", "adam-lerp-wd-maximize", "adamw", "sgd-momentum", "sgd-dampening-wd"])
def test_optimizers_are_identical(make_opt, dtype) -> None:
    compiled, reference = _train(make_opt, dtype)
    assert len(compiled) == len(reference)
    for a, b in zip(compiled, reference):
        np.testing.assert_array_equal(bits(a), bits(b))
