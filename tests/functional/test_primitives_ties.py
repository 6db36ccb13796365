"""Gradients at the points where a primitive is not differentiable, against PyTorch's rules.

The block table keeps its inputs away from these points (finite differences are meaningless
there); here the conventions are pinned down: ties split the gradient evenly (maximum, minimum,
amax, amin), |x| has gradient 0 at 0, clamp passes the gradient at its bounds, and pow follows
PyTorch at a zero base.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks.functional as F
from nnblocks.core import Tensor


def grads(fn, arrays, torch_fn, torch, gy=None):
    """Gradients of ``sum(gy * fn(...))`` in nnblocks and PyTorch, float64."""
    xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    y, ty = fn(*xs), torch_fn(*ts)
    gy = np.ones(y.shape) if gy is None else np.asarray(gy, dtype=np.float64)
    y.backward(gy)
    ty.backward(torch.from_numpy(gy))
    np.testing.assert_array_equal(y.array, ty.detach().numpy())
    return [x.grad for x in xs], [t.grad.numpy() for t in ts]


def assert_same_grads(fn, arrays, torch_fn, torch, gy=None):
    ours, theirs = grads(fn, arrays, torch_fn, torch, gy)
    for g, tg in zip(ours, theirs):
        np.testing.assert_allclose(g, tg, rtol=1e-12, atol=0, equal_nan=True)
    return ours


def test_maximum_minimum_split_ties_evenly(torch):
    a = [1.0, 2.0, 3.0, -1.0]
    b = [1.0, 0.0, 3.0, 5.0]
    gy = [2.0, 1.0, 4.0, 1.0]
    ga, gb = assert_same_grads(F.maximum, [a, b], torch.maximum, torch, gy)
    np.testing.assert_array_equal(ga, [1.0, 1.0, 2.0, 0.0])
    np.testing.assert_array_equal(gb, [1.0, 0.0, 2.0, 1.0])
    assert_same_grads(F.minimum, [a, b], torch.minimum, torch, gy)


def test_maximum_tie_with_broadcast_scalar(torch):
    """A broadcast operand collects the half-shares of every tie it takes part in."""
    ga, gb = assert_same_grads(F.maximum, [[0.0, 0.0, 1.0], [0.0]], torch.maximum, torch)
    np.testing.assert_array_equal(gb, [1.0])                  # 0.5 + 0.5 + 0


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 1), True), (-1, True)])
def test_extreme_reductions_split_ties_evenly(torch, name, dim, keepdim):
    x = [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, -1.0, 3.0]]
    t_fn = torch.amax if name == "max" else torch.amin
    t_dim = () if dim is None else dim
    assert_same_grads(lambda t: getattr(F, "a" + name)(t, dim, keepdim), [x],
                      lambda t: t_fn(t, t_dim, keepdim), torch)


def test_full_max_matches_torch_max_without_dim(torch):
    """torch.max(x) (no dim) also splits evenly among ties, as our max does."""
    (g,) = assert_same_grads(lambda t: t.max(), [[1.0, 4.0, 4.0, 4.0]],
                             lambda t: t.max(), torch)
    np.testing.assert_allclose(g, [0.0, 1 / 3, 1 / 3, 1 / 3])


def test_abs_has_zero_gradient_at_zero(torch):
    (g,) = assert_same_grads(F.abs, [[-2.0, 0.0, -0.0, 3.0]], torch.abs, torch)
    np.testing.assert_array_equal(g, [-1.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("low,high", [(-1.0, 1.0), (None, 1.0), (-1.0, None), (1.0, -1.0)])
def test_clip_passes_gradient_at_bounds(torch, low, high):
    x = [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert_same_grads(lambda t: F.clip(t, low, high), [x],
                      lambda t: t.clamp(low, high), torch)


def test_relu_through_maximum_at_zero_matches_torch_clamp(torch):
    """max(x, 0) at x = 0: the tie gives half (torch.maximum); clamp(min=0) gives all."""
    (g,) = assert_same_grads(lambda t: F.maximum(t, Tensor(np.zeros(1))), [[0.0, 1.0]],
                             lambda t: torch.maximum(t, torch.zeros(1, dtype=t.dtype)), torch)
    np.testing.assert_array_equal(g, [0.5, 1.0])


def test_pow_at_zero_base_follows_torch(torch):
    a = [0.0, 0.0, 0.0, 0.0, 2.0, -2.0]
    b = [2.0, 0.0, -1.0, 0.5, 0.0, 2.0]
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_same_grads(lambda x, y: x**y, [a, b], lambda x, y: x**y, torch)


def test_pow_scalar_exponent_zero_has_zero_gradient(torch):
    (g,) = assert_same_grads(lambda x: x**0, [[0.0, 2.0]], lambda x: x**0, torch)
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_sqrt_at_zero_is_infinite_like_torch(torch):
    with np.errstate(divide="ignore"):
        assert_same_grads(F.sqrt, [[0.0, 4.0]], torch.sqrt, torch)
