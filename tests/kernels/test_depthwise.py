"""The compiled depthwise convolution (nnblocks.kernels.depthwise) equals the NumPy reference.

The reference runs depthwise convolution as im2col + one GEMM per group; the compiled kernel
sums the same products in another order (and the parameter gradients in float64), so results
agree to a few ulps. Covered: stride, padding, dilation, bias or not, both float types,
unbatched input, Conv1d, skipped gradients, and independence from the thread count.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.functional.conv import Conv2dBlock
from nnblocks.kernels import depthwise
from tests.kernels.conftest import both_paths, with_threads
from tests.kernels.test_conv import assert_close, conv_both


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 11), c=st.integers(2, 6),
       size=st.tuples(st.integers(3, 10), st.integers(3, 10)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans())
def test_depthwise_matches_numpy(seed, n, c, size, kernel, stride, dilation, padding, dtype,
                                 bias) -> None:
    rng = np.random.default_rng(seed)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(max(s, r) for s, r in zip(size, reach))
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((c, 1, *kernel)).astype(dtype)
    b = rng.standard_normal(c).astype(dtype) if bias else None
    compiled, reference = conv_both(x, w, b, seed, stride=stride, padding=padding,
                                    dilation=dilation, groups=c)
    assert_close(compiled, reference, dtype)


def test_mobilenet_shape_takes_the_depthwise_path(rng) -> None:
    x = rng.standard_normal((4, 32, 16, 16)).astype(np.float32)
    w = rng.standard_normal((32, 1, 3, 3)).astype(np.float32)
    assert depthwise.supported(x, w, 32)
    assert not depthwise.supported(x, rng.standard_normal((64, 1, 3, 3)).astype(np.float32), 32)
    assert not depthwise.supported(x, w.astype(np.float64), 32)

    def run():
        y, saved = Conv2dBlock.forward(x, w, None, stride=2, padding=1, groups=32)
        return saved[-1], y, *Conv2dBlock.backward(saved, np.ones_like(y))

    (path, *compiled), (ref_path, *reference) = both_paths(run)
    assert path == ("depthwise",) and ref_path is None
    assert_close(compiled, reference, np.float32)


def test_unbatched_conv1d_and_skipped_gradients(rng) -> None:
    x = rng.standard_normal((6, 13)).astype(np.float32)              # unbatched Conv1d
    w = rng.standard_normal((6, 1, 5)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    assert_close(*conv_both(x, w, b, 3, stride=2, padding=2, groups=6), np.float32)
    x4 = rng.standard_normal((3, 5, 7, 7)).astype(np.float32)
    w4 = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)

    def run():
        y, saved = Conv2dBlock.forward(x4, w4, None, padding=1, groups=5,
                                  needs_input_grad=(True, False, False))
        assert saved[0] is None                                     # no padded copy kept
        return Conv2dBlock.backward(saved, np.ones_like(y))

    (gx, gw, gb), (gx_ref, gw_ref, gb_ref) = both_paths(run)
    assert gw is None and gb is None and gw_ref is None
    assert_close((gx,), (gx_ref,), np.float32)


@pytest.mark.parametrize("n", [3, 20])
def test_results_do_not_depend_on_the_number_of_threads(n, rng) -> None:
    x = rng.standard_normal((n, 8, 9, 9)).astype(np.float32)
    w = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)

    def run():
        return conv_both(x, w, b, 4, stride=2, padding=1, groups=8)[0]

    one, three = with_threads(1, run), with_threads(3, run)
    for a, c in zip(one, three):
        np.testing.assert_array_equal(a, c)
