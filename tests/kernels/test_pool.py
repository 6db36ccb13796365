"""The compiled 2 × 2 max pooling equals the NumPy reference bit for bit (values, int8 argmax,
gradients), including ties, NaN, infinities and odd sizes; other windows use the reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.functional.pool import MaxPool1dBlock, MaxPool2dBlock
from nnblocks.kernels import pool as kernel_pool
from tests.kernels.conftest import both_paths


def pool_both(block, x, gy_seed, **hyper):
    def run():
        y, saved = block.forward(x, **hyper)
        out = y[0] if isinstance(y, tuple) else y
        gy = np.random.default_rng(gy_seed).standard_normal(out.shape).astype(x.dtype)
        (gx,) = block.backward(saved, (gy, None) if isinstance(y, tuple) else gy)
        return y, saved[0], gx

    return both_paths(run)


def assert_identical(compiled, reference) -> None:
    (y, arg, gx), (y_ref, arg_ref, gx_ref) = compiled, reference
    for a, b in [(y, y_ref), (gx, gx_ref)] + (
            list(zip(y, y_ref)) if isinstance(y, tuple) else []):
        if isinstance(a, tuple):
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))   # bits, incl. -0
    np.testing.assert_array_equal(arg, arg_ref)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 3), c=st.integers(1, 4),
       h=st.integers(2, 9), w=st.integers(2, 9), dtype=st.sampled_from([np.float32, np.float64]),
       ties=st.booleans())
def test_max_pool_2x2_is_identical(seed, n, c, h, w, dtype, ties) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    if ties:                                            # few distinct values: many ties
        x = np.round(x)
    x = x.astype(dtype)
    assert_identical(*pool_both(MaxPool2dBlock, x, seed, kernel_size=2))


def test_nan_inf_and_zero_signs(rng) -> None:
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    x[0, 0, 0, :4] = [np.nan, 1.0, 2.0, np.nan]
    x[0, 1, :2, :2] = -np.inf
    x[1, 2, :2, :2] = [[-0.0, 0.0], [0.0, -0.0]]
    compiled, reference = pool_both(MaxPool2dBlock, x, 1, kernel_size=2)
    np.testing.assert_array_equal(compiled[0], reference[0])          # NaN == NaN here
    np.testing.assert_array_equal(compiled[1], reference[1])
    assert np.isnan(compiled[0][0, 0, 0, :2]).all()


def test_ceil_mode_and_return_indices(rng) -> None:
    x = rng.standard_normal((2, 2, 7, 6)).astype(np.float32)
    compiled, reference = pool_both(MaxPool2dBlock, x, 2, kernel_size=2, return_indices=True)
    for a, b in zip(compiled[0], reference[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(compiled[2], reference[2])
    # ceil mode on an odd size: the last window overhangs, so the reference path runs
    y, _ = MaxPool2dBlock.forward(x, kernel_size=2, ceil_mode=True)
    assert y.shape == (2, 2, 4, 3)


@pytest.mark.parametrize("hyper", [dict(kernel_size=3, stride=2, padding=1),
                                   dict(kernel_size=2, stride=1), dict(kernel_size=(2, 3))])
def test_other_windows_use_the_reference(hyper, rng) -> None:
    from nnblocks.functional.pool import pool_window

    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    win = pool_window(x.shape[2:], hyper["kernel_size"], hyper.get("stride"),
                      hyper.get("padding", 0), 1, False, "t")
    assert not kernel_pool.supported(x, win)
    assert_identical(*pool_both(MaxPool2dBlock, x, 3, **hyper))


def test_max_pool_1d_and_unbatched(rng) -> None:
    x = rng.standard_normal((3, 10)).astype(np.float32)
    assert_identical(*pool_both(MaxPool1dBlock, x, 4, kernel_size=2))
    x = rng.standard_normal((3, 6, 8)).astype(np.float32)               # unbatched 2-D
    assert_identical(*pool_both(MaxPool2dBlock, x, 5, kernel_size=2))
