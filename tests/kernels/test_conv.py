"""The compiled convolution (nnblocks.kernels.conv) equals the NumPy reference.

The GEMMs are shaped differently (per chunk or per image instead of one for the batch), so
results agree to a few ulps, not bit for bit; the tolerances below are ~100 float32 ulps of
the largest value. Both layouts (pixel-major for many channels, channel-major for few), many
chunks, groups, stride, padding and dilation are covered; and results do not depend on the
number of threads (bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.functional.conv import Conv1dBlock, Conv2dBlock
from nnblocks.kernels import conv as kernel_conv
from tests.kernels.conftest import both_paths, with_threads

TOL = {np.float32: 2e-5, np.float64: 1e-12}


def conv_both(x, w, b, gy_seed, **hyper):
    """Forward and all gradients of Conv2d (or Conv1d for 3-D x) on both paths."""
    block = Conv2dBlock if x.ndim in (3, 4) and w.ndim == 4 else Conv1dBlock

    def run():
        y, saved = block.forward(x, w, b, **hyper)
        gy = np.random.default_rng(gy_seed).standard_normal(y.shape).astype(x.dtype)
        return (y, *block.backward(saved, gy))

    return both_paths(run)


def assert_close(compiled, reference, dtype) -> None:
    for got, want in zip(compiled, reference):
        if want is None:
            assert got is None
            continue
        assert got.dtype == want.dtype and got.shape == want.shape
        scale = max(float(np.max(np.abs(want), initial=0.0)), 1.0)
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL[dtype] * scale)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), groups=st.sampled_from([1, 2, 3]),
       cg=st.integers(1, 9), og=st.integers(1, 3), size=st.tuples(st.integers(3, 9),
                                                                  st.integers(3, 9)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans())
def test_conv2d_matches_numpy(seed, n, groups, cg, og, size, kernel, stride, dilation, padding,
                              dtype, bias) -> None:
    rng = np.random.default_rng(seed)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(max(s, r) for s, r in zip(size, reach))
    x = rng.standard_normal((n, groups * cg, *size)).astype(dtype)
    w = rng.standard_normal((groups * og, cg, *kernel)).astype(dtype)
    b = rng.standard_normal(groups * og).astype(dtype) if bias else None
    compiled, reference = conv_both(x, w, b, seed, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
    assert_close(compiled, reference, dtype)


@pytest.mark.parametrize("channels, groups, rows", [(16, 1, True), (6, 1, True),
                                                    (32, 2, True), (1, 1, False), (6, 3, False)])
def test_both_layouts_and_many_chunks(channels, groups, rows, monkeypatch, rng) -> None:
    """Pixel-major (runs of k_w C >= 16 values, or C_g >= 16 per group) and channel-major
    layouts, with chunks of one image."""
    monkeypatch.setattr(kernel_conv, "CHUNK_ELEMENTS", 1)
    x = rng.standard_normal((5, channels, 7, 6)).astype(np.float32)
    w = rng.standard_normal((2 * groups, channels // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(2 * groups).astype(np.float32)
    plan = kernel_conv.make_plan(x.shape, w.shape, _window(x, w, 1), groups, 4)
    assert plan.rows == rows and plan.chunk == 1 and plan.n_chunks == 5
    compiled, reference = conv_both(x, w, b, 0, padding=1, groups=groups)
    assert_close(compiled, reference, np.float32)


def _window(x, w, padding):
    from nnblocks.functional.im2col import conv_window

    return conv_window(x.shape[2:], w.shape[2:], (1, 1), ((padding,) * 2,) * 2, (1, 1), "t")


def test_lenet_shapes_and_unbatched(rng) -> None:
    for shape, wshape in [((8, 1, 28, 28), (16, 1, 5, 5)), ((8, 16, 14, 14), (32, 16, 5, 5))]:
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(wshape).astype(np.float32)
        b = rng.standard_normal(wshape[0]).astype(np.float32)
        assert_close(*conv_both(x, w, b, 1, padding=2), np.float32)
    x = rng.standard_normal((16, 5, 5)).astype(np.float32)            # unbatched
    w = rng.standard_normal((4, 16, 3, 3)).astype(np.float32)
    assert_close(*conv_both(x, w, None, 2, padding="same"), np.float32)


def test_conv1d_matches_numpy(rng) -> None:
    x = rng.standard_normal((3, 20, 11)).astype(np.float32)
    w = rng.standard_normal((6, 10, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    assert_close(*conv_both(x, w, b, 3, stride=2, padding=1, dilation=2, groups=2),
                 np.float32)


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch, rng) -> None:
    monkeypatch.setattr(kernel_conv, "CHUNK_ELEMENTS", 1)
    x = rng.standard_normal((7, 16, 6, 6)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)

    def run():
        return conv_both(x, w, b, 4, padding=1)[0]

    one, three = with_threads(1, run), with_threads(3, run)
    for a, c in zip(one, three):
        np.testing.assert_array_equal(a, c)


def test_skipped_gradients_and_saved_input(rng) -> None:
    """Only the requested gradients; the compiled path keeps the (padded) input, not im2col."""
    x = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 16, 3, 3)).astype(np.float32)

    def run():
        y, saved = Conv2dBlock.forward(x, w, None, needs_input_grad=(True, False, False))
        assert saved[0] is None
        gx, gw, gb = Conv2dBlock.backward(saved, np.ones_like(y))
        assert gw is None and gb is None
        y, saved = Conv2dBlock.forward(x, w, None)
        gx2, gw2, gb2 = Conv2dBlock.backward(saved, np.ones_like(y), (False, True, False))
        assert gx2 is None and gb2 is None
        return gx, gw2, saved[0]

    (gx, gw, kept), (gx_ref, gw_ref, cols) = both_paths(run)
    np.testing.assert_array_equal(kept, x.transpose(0, 2, 3, 1))   # the input (NHWC: 16
    assert cols.shape == (16, 3, 3, 2, 4, 4)            # channels), not the im2col matrix
    assert_close((gx, gw), (gx_ref, gw_ref), np.float32)


def test_backward_follows_the_forward_path(rng) -> None:
    """Switching numba off between forward and backward is safe."""
    import nnblocks.kernels as K

    x = rng.standard_normal((2, 16, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 16, 3, 3)).astype(np.float32)
    previous = K.use_numba(True)
    try:
        y, saved = Conv2dBlock.forward(x, w, None)
        K.use_numba(False)
        gx, gw, _ = Conv2dBlock.backward(saved, np.ones_like(y))
        y_ref, saved_ref = Conv2dBlock.forward(x, w, None)
        gx_ref, gw_ref, _ = Conv2dBlock.backward(saved_ref, np.ones_like(y))
    finally:
        K.use_numba(previous)
    assert_close((y, gx, gw), (y_ref, gx_ref, gw_ref), np.float32)


@pytest.mark.parametrize("groups", [1, 2])
def test_an_empty_batch(groups) -> None:
    x = np.zeros((0, 16, 5, 5), np.float32)
    w = np.ones((4, 16 // groups, 3, 3), np.float32)
    b = np.ones(4, np.float32)
    compiled, reference = conv_both(x, w, b, 5, padding=1, groups=groups)
    assert_close(compiled, reference, np.float32)
    assert compiled[0].shape == (0, 4, 5, 5) and not compiled[2].any()
