"""Compiled batch normalization (training statistics) equals the reference to rounding: its
sums run in float64 where NumPy's means of float32 accumulate in float32."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.functional.norm import BatchNormBlock
from tests.kernels.conftest import both_paths, with_threads

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 4, 5, 7), (9, 3), (4, 5, 6), (64, 300), (5, 7, 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_numpy(dtype, shape, affine, rng) -> None:
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    c = shape[1]
    w = rng.standard_normal(c).astype(dtype) if affine else None
    b = rng.standard_normal(c).astype(dtype) if affine else None
    gy = rng.standard_normal(shape).astype(dtype)
    gmean = rng.standard_normal(c).astype(dtype)            # gradients through the statistics
    gvar = rng.standard_normal(c).astype(dtype)

    def run():
        (y, mean, var), saved = BatchNormBlock.forward(x, w, b, eps=1e-3)
        return (y, mean, var, *BatchNormBlock.backward(saved, (gy, gmean, gvar)))

    compiled, reference = both_paths(run)
    for got, want in zip(compiled, reference):
        if want is None:
            assert got is None
            continue
        assert got.dtype == want.dtype and got.shape == want.shape
        scale = max(float(np.max(np.abs(want))), 1.0)
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype] * scale)


@pytest.mark.parametrize("shape", [(1, 32, 32, 32), (3, 5, 4), (2, 7), (600, 300, 8)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_bit_identical_to_numpy(shape, affine, rng) -> None:
    """The one-pass eval kernel does the reference's four operations in order: same bits,
    and the same gradients (x̂ recomputed in backward)."""
    from nnblocks.functional.norm import BatchNormEvalBlock

    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    mean = rng.standard_normal(c).astype(np.float32)
    var = rng.uniform(0.5, 2.0, c).astype(np.float32)
    w = rng.standard_normal(c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine else None
    gy = rng.standard_normal(shape).astype(np.float32)

    def run():
        y, saved = BatchNormEvalBlock.forward(x, mean, var, w, b, eps=1e-5)
        return y, *BatchNormEvalBlock.backward(saved, gy)

    compiled, reference = both_paths(with_threads_2(run))
    for got, want in zip(compiled, reference):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, want)


def with_threads_2(fn):
    return lambda: with_threads(2, fn)


def test_batch_norm_split_into_channel_items_gives_the_same_bits(rng) -> None:
    """Above PARALLEL_MIN elements the channels are shared among threads, below it one item
    runs in the calling thread; each channel's sums are the same loop either way."""
    from nnblocks.kernels import norm as kernel_norm
    from nnblocks.kernels.elementwise import PARALLEL_MIN

    assert with_threads(2, lambda: kernel_norm._split_channels(16, PARALLEL_MIN - 1)) == [(0, 16)]
    assert len(with_threads(2, lambda: kernel_norm._split_channels(16, PARALLEL_MIN))) > 1
    x = (rng.standard_normal((4, 16, 130, 130)) * 3 + 2).astype(np.float32)   # 1,081,600
    w, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)

    def run():
        y, xhat, mean, var, r = kernel_norm.batch_norm_forward(x, w, b, 1e-5)
        return (y, mean, var, *kernel_norm.batch_norm_backward(gy, xhat, r, w))

    one, two = with_threads(1, run), with_threads(2, run)
    for a, c in zip(one, two):
        np.testing.assert_array_equal(a, c)
