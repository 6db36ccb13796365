"""Gradient clipping: parity with torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.nn import Parameter
from nnblocks.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm
from tests.conftest import import_torch


def _pair(torch, grads: list[np.ndarray | None]):
    """Our parameters and PyTorch's, with copies of the same gradients (None: no gradient)."""
    ours, theirs = [], []
    for g in grads:
        shape = (1,) if g is None else g.shape
        dtype = np.float64 if g is None else g.dtype
        p = Parameter(np.zeros(shape, dtype=dtype))
        q = torch.zeros(shape, dtype=torch.from_numpy(np.zeros(1, dtype=dtype)).dtype,
                        requires_grad=True)
        if g is not None:
            p.grad = g.copy()
            q.grad = torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@settings(max_examples=20, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
                    min_size=1, max_size=4),
    norm_type=st.sampled_from([2.0, 1.0, 3.0, 0.5, float("inf")]),
    max_norm=st.sampled_from([0.1, 1.0, 100.0]),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_clip_grad_norm_matches_torch(shapes, norm_type, max_norm, dtype, seed):
    torch = import_torch()
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s).astype(dtype) for s in shapes]
    ours, theirs = _pair(torch, grads)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type,
                                              foreach=False)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert total.dtype == dtype
    np.testing.assert_allclose(total.array, expected.numpy(), rtol=rtol)
    for p, q in zip(ours, theirs):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=rtol, atol=1e-30)


def test_clip_grad_norm_example_and_skipped_parameters():
    torch = import_torch()
    grads = [np.array([3.0, 0.0]), None, np.array([[4.0]])]
    ours, theirs = _pair(torch, grads)
    total = clip_grad_norm_(iter(ours), max_norm=1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.0)
    assert float(total) == 5.0 == float(expected)
    np.testing.assert_allclose(ours[0].grad, [3.0 / (5.0 + 1e-6), 0.0], rtol=1e-15)
    assert ours[1].grad is None
    np.testing.assert_allclose(ours[2].grad, theirs[2].grad.numpy(), rtol=1e-15)


def test_small_gradients_are_not_scaled_up():
    w = Parameter(np.zeros(2))
    w.grad = np.array([0.3, 0.4])
    total = clip_grad_norm_(w, max_norm=10.0)   # a single tensor is accepted
    assert float(total) == pytest.approx(0.5)
    np.testing.assert_array_equal(w.grad, [0.3, 0.4])


def test_gradients_are_clipped_in_place():
    w = Parameter(np.zeros(2))
    w.grad = np.array([30.0, 40.0])
    alias = w.grad
    clip_grad_norm_([w], 1.0)
    assert w.grad is alias


def test_nonfinite_norm():
    w = Parameter(np.zeros(2))
    w.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite|inf"):
        clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    clip_grad_norm_([w], 1.0)                   # like PyTorch: scales by the inf norm
    assert np.isnan(w.grad[0]) and w.grad[1] == 0.0


def test_no_gradients():
    total = clip_grad_norm_([Parameter(np.zeros(2))], 1.0)
    assert float(total) == 0.0
    assert get_total_norm([]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype, rng):
    torch = import_torch()
    grads = [rng.normal(size=(3, 4)).astype(dtype), None, rng.normal(size=5).astype(dtype) * 3]
    ours, theirs = _pair(torch, grads)
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7, foreach=False)
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == dtype
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
