"""Adaptive average pooling's compiled path (its GEMMs through ``kernels.threads.matmul``)
against the NumPy reference, at 1 to 3 threads."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.functional.adaptive_pool import AdaptiveAvgPool1dBlock, AdaptiveAvgPool2dBlock
from nnblocks.kernels import threads
from tests.kernels.conftest import both_paths, with_threads


@pytest.mark.parametrize("shape, out", [
    ((64, 128, 8, 8), 1),                 # MobileNet's global pooling: a 0.5M multiply-add GEMM
    ((4, 3, 7, 9), (3, 4)),               # overlapping bins on both axes
    ((2, 5, 6, 6), (None, 2)),
    ((8, 32, 96, 96), (1, 8)),            # above MATMUL_SPLIT_MIN: rows shared among threads
])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_adaptive_avg_pool2d_paths_agree(shape, out, n_threads, rng) -> None:
    if shape == (8, 32, 96, 96):
        assert 8 * 32 * 96 * 96 * 8 >= threads.MATMUL_SPLIT_MIN
    x = rng.standard_normal(shape).astype(np.float32)
    gy_shape = AdaptiveAvgPool2dBlock.forward(x, output_size=out)[0].shape
    gy = rng.standard_normal(gy_shape).astype(np.float32)

    def run():
        y, saved = AdaptiveAvgPool2dBlock.forward(x, output_size=out)
        (gx,) = AdaptiveAvgPool2dBlock.backward(saved, gy)
        return y, gx, saved[-1]

    (y, gx, compiled), (y_ref, gx_ref, reference) = with_threads(n_threads,
                                                                 lambda: both_paths(run))
    assert compiled and not reference                # the path travels in saved
    np.testing.assert_allclose(y, y_ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-6, atol=1e-7)


def test_adaptive_avg_pool1d_paths_agree(rng) -> None:
    x = rng.standard_normal((16, 64, 250))
    (y, saved), (y_ref, _) = with_threads(2, lambda: both_paths(
        lambda: AdaptiveAvgPool1dBlock.forward(x, output_size=7)))
    np.testing.assert_allclose(y, y_ref, rtol=1e-12)
    gy = rng.standard_normal(y.shape)
    (gx,) = AdaptiveAvgPool1dBlock.backward(saved, gy)
    (gx_ref,) = AdaptiveAvgPool1dBlock.backward(saved[:-1] + (False,), gy)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-12)


def test_small_matmul_runs_blas_at_one_thread_and_restores_it(rng) -> None:
    """Below MATMUL_SPLIT_MIN, with the pool at 2 threads, the product runs with BLAS at one
    thread (no BLAS thread left spinning) and BLAS's setting is restored afterwards."""
    a = rng.standard_normal((4096, 8)).astype(np.float32)
    b = rng.standard_normal((8, 16)).astype(np.float32)
    before = threads.blas_num_threads()
    seen = []

    def spy():
        seen.append(threads.blas_num_threads())
        return a @ b

    out = with_threads(2, lambda: threads.blas_single(spy))
    assert seen == [[1] * len(before)]
    assert threads.blas_num_threads() == before
    np.testing.assert_allclose(with_threads(2, lambda: threads.matmul(a, b)), out, rtol=1e-6)
    assert threads.blas_num_threads() == before
