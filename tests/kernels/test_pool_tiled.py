"""The compiled tiling max pooling (stride = kernel, nnblocks.kernels.pool_tiled) equals the
NumPy reference bit for bit: values, int8 argmax and gradients, with ties, NaN, infinities and
sizes that are not multiples of the kernel."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.functional.pool import MaxPool1dBlock, MaxPool2dBlock, pool_window
from nnblocks.kernels import pool_tiled
from nnblocks.kernels.elementwise import PARALLEL_MIN
from tests.kernels.test_pool import assert_identical, pool_both


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 3), c=st.integers(1, 4),
       h=st.integers(3, 10), w=st.integers(3, 10), kernel=st.tuples(st.integers(1, 3),
                                                                    st.integers(1, 3)),
       dtype=st.sampled_from([np.float32, np.float64]), ties=st.booleans())
def test_tiled_max_pool_is_identical(seed, n, c, h, w, kernel, dtype, ties) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    if ties:
        x = np.round(x)
    x = x.astype(dtype)
    win = pool_window(x.shape[2:], kernel, None, 0, 1, False, "t")
    assert pool_tiled.supported(x, win)
    assert_identical(*pool_both(MaxPool2dBlock, x, seed, kernel_size=kernel))


def test_max_pool_1d_audio_shape_nan_and_inf(rng) -> None:
    x = rng.standard_normal((2, 3, 103)).astype(np.float32)          # 103 = 25 * 4 + 3
    x[0, 0, :4] = [np.nan, 1.0, 2.0, np.nan]
    x[0, 1, 4:8] = -np.inf
    x[1, 2, 8:12] = [-0.0, 0.0, 0.0, -0.0]
    (y, arg, gx), (y_ref, arg_ref, gx_ref) = pool_both(MaxPool1dBlock, x, 1, kernel_size=4)
    np.testing.assert_array_equal(y, y_ref)                           # NaN == NaN here
    np.testing.assert_array_equal(arg, arg_ref)
    np.testing.assert_array_equal(gx, gx_ref)
    assert np.isnan(y[0, 0, 0]) and (gx[:, :, 100:] == 0).all()


def test_overlapping_or_padded_windows_are_not_tiled(rng) -> None:
    x = rng.standard_normal((1, 1, 8, 8)).astype(np.float32)
    for hyper in [(3, 2, 1), (2, 1, 0), (3, 3, 1)]:
        win = pool_window(x.shape[2:], hyper[0], hyper[1], hyper[2], 1, False, "t")
        assert not pool_tiled.supported(x, win)


def test_tiny_work_stays_in_the_caller_and_large_work_is_shared(rng) -> None:
    """Below PARALLEL_MIN elements one item (no thread hand-off, batch-1 inference); above,
    several items; the results are the same bits whatever the thread count."""
    from nnblocks.kernels import pool as pool_2x2
    from tests.kernels.conftest import with_threads

    assert pool_tiled.plane_items is pool_2x2.plane_items            # one split for both kernels
    small, large = PARALLEL_MIN - 1, PARALLEL_MIN
    assert with_threads(2, lambda: pool_2x2.plane_items(32, small))[0] == 1
    assert with_threads(2, lambda: pool_2x2.plane_items(32, large))[0] > 1
    x = rng.standard_normal((4, 8, 182, 182)).astype(np.float32)    # 1,059,968 elements
    assert x.size > PARALLEL_MIN
    for kernel in (2, 3):
        def run(k=kernel):
            return pool_both(MaxPool2dBlock, x, 7, kernel_size=k)[0]

        one, two = with_threads(1, run), with_threads(2, run)
        for a, b in zip(one, two):
            np.testing.assert_array_equal(a, b)
