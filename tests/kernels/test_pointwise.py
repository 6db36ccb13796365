"""The 1 × 1 convolution fast path (nnblocks.kernels.pointwise) equals the NumPy reference to
a few ulps (per-image GEMMs instead of one), with and without bias, for every subset of
gradients, unbatched, Conv1d with kernel 1, and independently of the thread count."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.functional.conv import Conv2dBlock
from tests.kernels.conftest import both_paths, with_threads
from tests.kernels.test_conv import assert_close, conv_both


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, c, o, size, bias", [(5, 16, 8, (7, 6), True),
                                                 (1, 3, 4, (1, 1), False),
                                                 (11, 8, 8, (4, 9), True)])
def test_pointwise_matches_numpy(dtype, n, c, o, size, bias, rng) -> None:
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((o, c, 1, 1)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    assert_close(*conv_both(x, w, b, 1), dtype)


def test_path_recorded_skipped_gradients_unbatched_and_conv1d(rng) -> None:
    x = rng.standard_normal((4, 6, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 6, 1, 1)).astype(np.float32)

    def run():
        y, saved = Conv2dBlock.forward(x, w, None, needs_input_grad=(False, True, False))
        grads = Conv2dBlock.backward(saved, np.ones_like(y))
        return saved[-1], y, *grads

    (path, y, gx, gw, gb), (ref_path, y_ref, gx_ref, gw_ref, gb_ref) = both_paths(run)
    assert path == ("pointwise",) and ref_path is None
    assert gx is None and gb is None and gx_ref is None
    assert_close((y, gw), (y_ref, gw_ref), np.float32)
    assert_close(*conv_both(x[0], w, None, 2), np.float32)              # unbatched
    x1 = rng.standard_normal((3, 6, 10)).astype(np.float32)
    w1 = rng.standard_normal((4, 6, 1)).astype(np.float32)
    assert_close(*conv_both(x1, w1, rng.standard_normal(4).astype(np.float32), 3),
                 np.float32)


def test_results_do_not_depend_on_the_number_of_threads(rng) -> None:
    x = rng.standard_normal((13, 8, 6, 6)).astype(np.float32)
    w = rng.standard_normal((5, 8, 1, 1)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)

    def run():
        return conv_both(x, w, b, 4)[0]

    one, three = with_threads(1, run), with_threads(3, run)
    for a, c in zip(one, three):
        np.testing.assert_array_equal(a, c)
