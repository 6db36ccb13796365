"""locally_connected1d / 2d: unbatched input, skipped gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from tests.references.conv_loops import local2d_loop


def test_unbatched_and_no_bias(rng) -> None:
    x = rng.standard_normal((2, 5, 4))
    w = rng.standard_normal((4, 3, 3, 2, 2, 2))
    y = F.locally_connected2d(nb.tensor(x), nb.tensor(w))
    np.testing.assert_allclose(y.array, local2d_loop(x[None], w)[0], rtol=1e-12)


def test_constant_input_gets_no_gradient(rng) -> None:
    x = nb.tensor(rng.standard_normal((2, 3, 7)))
    w = nb.tensor(rng.standard_normal((5, 2, 3, 3)), requires_grad=True)
    F.locally_connected1d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (5, 2, 3, 3)


@pytest.mark.parametrize("w_shape, b_shape, message", [
    ((4, 3, 2, 2, 2), None, r"locally_connected2d: weight must be 6-D \(H_out, W_out, "
                            r"out_channels, in_channels, kH, kW\), got shape \(4, 3, 2, 2, 2\)"),
    ((4, 3, 2, 2, 2, 2), (2, 4), r"locally_connected2d: bias must have shape \(2, 4, 3\)"),
    ((4, 3, 2, 3, 2, 2), None, r"locally_connected2d: input has 2 channels, weight expects 3"),
])
def test_local_errors(w_shape, b_shape, message) -> None:
    x = nb.tensor(np.zeros((1, 2, 5, 4)))
    b = None if b_shape is None else nb.tensor(np.zeros(b_shape))
    with pytest.raises(ValueError, match=message):
        F.locally_connected2d(x, nb.tensor(np.zeros(w_shape)), b)
