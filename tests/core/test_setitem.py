"""``x[index] = value`` recorded as PyTorch's (``CopySlices``): each program runs on PyTorch and
on nnblocks and the gradients must agree; what nnblocks still refuses raises saying what to
write instead."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from tests.conftest import import_torch


def _leaves(lib):
    x = lib.tensor(np.arange(6.0).reshape(3, 2) / 6, requires_grad=True)
    w = lib.tensor([2.0, -1.0], requires_grad=True)
    return x, w


def rnn_output_buffer(lib):
    """A preallocated output filled step by step (the common RNN loop)."""
    x, w = _leaves(lib)
    out = lib.zeros(4, 3, 2, dtype=lib.float64)
    h = x
    for t in range(4):
        h = (h * w).tanh()
        out[t] = h
    (out * out).sum().backward()
    return x, w


def masked_and_sliced_assignments(lib):
    x, w = _leaves(lib)
    y = x * w
    y[0] = 0.0                                   # a constant: no gradient to that row
    y[:, 1] = y[:, 1] * 3                        # a view read, the base written
    mask = y > 0.2
    y[mask] = y[mask] ** 2
    y[1:, 0] = w[0]                              # a value broadcast into a slice
    (y * y).sum().backward()
    return x, w


def views_before_and_after_the_change(lib):
    x, w = _leaves(lib)
    y = x * w
    first = y[0]                                 # taken before: sees the new values
    col = y.t()
    y[0] = x[1] * 5
    after = y[0]
    loss = (first * first).sum() + (col * 2).sum() + after.sum() + (y * y).sum()
    loss.backward()
    return x, w


def assignment_into_a_buffer_that_needs_no_grad(lib):
    x, w = _leaves(lib)
    buf = lib.ones(3, 2, dtype=lib.float64)
    buf[1] = x[2] * w                            # buf becomes part of the graph
    assert buf.requires_grad
    (buf.exp()).sum().backward()
    return x, w


def inplace_through_indexed_views(lib):
    """``y[:, 0] += 1``, ``y[1] *= w``, ``y[2].mul_(3).add_(...)``: in-place changes of views
    made by indexing, replayed on their base (a view of a view too)."""
    x, w = _leaves(lib)
    y = x * w
    y[:, 0] += 1.0
    y[1] *= w
    y[2].mul_(3).add_(x[0])
    z = y * 2
    row = z[0]
    row.sub_(0.5)
    row[1:].mul_(x[1, 1:])
    (z * z).sum().backward()
    return x, w


def inplace_view_after_a_saved_output(lib):
    x, w = _leaves(lib)
    z = (x * w).exp()
    z[0].sub_(0.5)
    (z * z).sum().backward()
    return x, w


PROGRAMS = [rnn_output_buffer, masked_and_sliced_assignments, views_before_and_after_the_change,
            assignment_into_a_buffer_that_needs_no_grad, inplace_through_indexed_views]


def test_a_view_changed_after_its_base_was_saved_raises_in_both() -> None:
    torch = import_torch()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        inplace_view_after_a_saved_output(torch)
    with pytest.raises(RuntimeError, match="ExpBlock: a tensor it saved for backward"):
        inplace_view_after_a_saved_output(nb)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_gradients_as_pytorch(program) -> None:
    torch = import_torch()
    theirs = program(torch)
    ours = program(nb)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.array, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_what_stays_refused_says_what_to_write() -> None:
    x, w = _leaves(nb)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0] = 1.0
    with nb.no_grad():
        x[0] = 1.0                               # an update by hand: allowed, not recorded
    assert x.array[0, 0] == 1.0 and x.grad_fn is None
    y = x * w
    turned = y.t()
    with pytest.raises(RuntimeError, match=r"in-place change of this view .* \(only views made by "
                                           r"indexing.* change the base instead"):
        turned.mul_(2.0)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0].add_(1.0)
    saved = y.sigmoid()
    y[1] = 0.0                                   # sigmoid saved its output, not y: fine
    saved.sum().backward()
    z = x * w
    s = z.exp()                                  # exp saves its output only
    e = z * z                                    # mul saves z (needed for both gradients)
    z[0] = 0.0
    with pytest.raises(RuntimeError, match="MulBlock: a tensor it saved for backward"):
        (e.sum() + s.sum()).backward()


def test_views_of_a_long_lived_tensor_do_not_accumulate() -> None:
    w = nb.tensor(np.ones((3, 2)), requires_grad=True)
    for _ in range(200):
        (nb.ones(4, 3) @ w.t().t()).sum().backward()
    assert len(w._vc.views) < 40
