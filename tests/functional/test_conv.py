"""conv1d / conv2d internals: im2col and col2im are adjoint, the stride-1 "wide" col2im equals
the strided one, skipped gradients, non-contiguous input, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.functional.conv import Conv2dBlock
from nnblocks.functional.im2col import (
    col2im,
    col2im_wide,
    conv_window,
    im2col,
    wide_length,
    wide_view,
)


@settings(max_examples=30, deadline=None)
@given(kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       extra=st.tuples(st.integers(0, 5), st.integers(0, 5)), seed=st.integers(0, 2**31))
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, dilation, extra, seed) -> None:
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im is the exact transpose."""
    rng = np.random.default_rng(seed)
    size = tuple(d * (k - 1) + 1 + e for k, d, e in zip(kernel, dilation, extra))
    win = conv_window(size, kernel, stride, ((0, 0), (0, 0)), dilation, "test")
    x = rng.standard_normal((2, 3, *size))
    cols = im2col(x, win)
    c = rng.standard_normal(cols.shape)
    assert np.vdot(cols, c) == pytest.approx(np.vdot(x, col2im(c, win)), rel=1e-12)
    if stride == (1, 1):                     # the wide path computes the same thing
        wide = np.zeros((*c.shape[:4], wide_length(win)))
        wide_view(wide, win)[...] = c
        np.testing.assert_allclose(col2im_wide(wide, win), col2im(c, win), rtol=1e-12,
                                   atol=1e-12)


def test_gradients_not_needed_are_not_computed(rng) -> None:
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    y, saved = Conv2dBlock.forward(x, w, None, needs_input_grad=(False, False, False))
    assert saved[0] is None                                 # no im2col matrix kept
    y, saved = Conv2dBlock.forward(x, w, None, padding=1, needs_input_grad=(True, False, False))
    gx, gw, gb = Conv2dBlock.backward(saved, np.ones_like(y))
    assert gx.shape == x.shape and gw is None and gb is None
    # the engine passes the node's needs_input_grad (Block.takes_needs_input_grad)
    xt, wt = nb.tensor(x), nb.tensor(w, requires_grad=True)
    node = Conv2dBlock.apply(xt, wt, None).grad_fn
    assert node.needs_input_grad == (False, True, False)
    gx, gw, gb = Conv2dBlock.backward(node.saved, np.ones((2, 4, 4, 4)))
    assert gx is None and gw.shape == w.shape and gb is None
    # through the wrapper: a constant input gets no gradient, the weight does
    wt = nb.tensor(w, requires_grad=True)
    F.conv2d(nb.tensor(x), wt, stride=2).sum().backward()
    assert wt.grad.shape == w.shape
    with nb.no_grad():
        assert not F.conv2d(nb.tensor(x), wt).requires_grad


def test_conv2d_accepts_non_contiguous_input(rng) -> None:
    x = rng.standard_normal((2, 6, 7, 3)).transpose(0, 3, 1, 2)     # (2, 3, 6, 7) view
    w = rng.standard_normal((4, 3, 2, 2))
    expected = F.conv2d(nb.tensor(np.ascontiguousarray(x)), nb.tensor(w), stride=(1, 2))
    np.testing.assert_allclose(F.conv2d(nb.tensor(x), nb.tensor(w), stride=(1, 2)).array,
                               expected.array, rtol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda x, w: F.conv2d(x, w, nb.tensor(np.zeros(3))), ValueError,
     r"conv2d: bias must have shape \(4,\) for weight \(4, 3, 3, 3\), got \(3,\)"),
    (lambda x, w: F.conv2d(x, nb.tensor(np.zeros((4, 3, 3)))), ValueError,
     r"conv2d: weight must be 4-D"),
    (lambda x, w: F.conv2d(x, w, padding="full"), ValueError,
     r"conv2d: padding must be 'valid', 'same', an int or a tuple of 2 ints, got 'full'"),
    (lambda x, w: F.conv2d(x, w, stride=0), ValueError, r"conv2d: stride must be >= 1, got 0"),
    (lambda x, w: F.conv2d(x, w, padding=(1, 2, 3)), ValueError,
     r"conv2d: padding must be an int or a tuple of 2 ints, got \(1, 2, 3\)"),
    (lambda x, w: F.conv2d(x, w, groups=0), ValueError, r"conv2d: groups must be a positive"),
    (lambda x, w: F.conv2d(x, w, groups=2), ValueError,
     r"conv2d: groups=2 must divide both in_channels=3 and out_channels=4"),
    (lambda x, w: F.conv2d(x, w, stride=2, padding="same"), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions \(stride \(2, 2\)\)"),
    (lambda x, w: F.conv2d(x, w, dilation=3), ValueError,
     r"conv2d: input of spatial size \(5, 5\) \(padded \(5, 5\)\) is smaller than the "
     r"kernel's reach \(7, 7\) \(kernel \(3, 3\), dilation \(3, 3\)\)"),
    (lambda x, w: F.conv1d(x[0], w), ValueError, r"conv1d: weight must be 3-D"),
    (lambda x, w: F.conv2d(nb.tensor(np.zeros((1, 3, 5, 5), dtype=np.int64)), w), TypeError,
     r"conv2d: input must be floating point, got dtype int64"),
])
def test_conv_errors(call, error, message) -> None:
    x = nb.tensor(np.zeros((1, 3, 5, 5)))
    w = nb.tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(error, match=message):
        call(x, w)
