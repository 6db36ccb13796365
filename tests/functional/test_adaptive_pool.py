"""Adaptive average pooling: the global-pooling backward shortcut."""

from __future__ import annotations

import numpy as np


def test_global_average_backward_equals_the_separable_gemms(rng) -> None:
    """Output 1×1: the broadcast shortcut gives the bits of the two one-term GEMMs."""
    from nnblocks.functional import adaptive_pool

    for shape in [(4, 5, 7, 9), (2, 3, 16, 16), (3, 6, 1, 5)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y, saved = adaptive_pool.AdaptiveAvgPool2dBlock.forward(x, output_size=1)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        (gx,) = adaptive_pool.AdaptiveAvgPool2dBlock.backward(saved, gy)
        a, b = saved[0], saved[1]
        want = adaptive_pool.separable(gy, None if a is None else a.T,
                                       None if b is None else b.T)
        np.testing.assert_array_equal(gx, want)
