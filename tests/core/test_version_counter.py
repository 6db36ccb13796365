"""Version counters, case by case as PyTorch behaves: each program runs on PyTorch and on
nnblocks (``lib`` is either module). Where PyTorch raises at backward because a tensor saved
for it was changed in place, nnblocks raises too, naming its block; where PyTorch does not raise,
nnblocks gives PyTorch's gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from tests.conftest import import_torch

X = [0.5, -1.0, 2.0]
W = [1.5, 0.25, -0.75]


def _leaves(lib):
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
    return x, w


def saved_output_sigmoid(lib):
    x, w = _leaves(lib)
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()
    return x, w


def saved_output_exp(lib):
    x, w = _leaves(lib)
    y = (x * w).exp()
    y.add_(1)
    y.sum().backward()
    return x, w


def saved_output_tanh_augmented(lib):
    x, w = _leaves(lib)
    y = x.tanh()
    y += 1
    y.sum().backward()
    return x, w


def saved_output_relu(lib):
    x, w = _leaves(lib)
    y = x.relu()
    y.sub_(0.5)
    y.sum().backward()
    return x, w


def saved_output_softmax(lib):
    x, w = _leaves(lib)
    y = x.softmax(0)
    y.mul_(3)
    (y * w).sum().backward()
    return x, w


def saved_input_mul(lib):
    x, w = _leaves(lib)
    h = x * 1
    y = h * w
    h.add_(1)
    y.sum().backward()
    return x, w


def saved_input_matmul(lib):
    x, w = _leaves(lib)
    h = x.reshape(3, 1) * 1
    y = h @ w.reshape(1, 3)
    h.mul_(2)
    y.sum().backward()
    return x, w


def saved_input_pow(lib):
    x, w = _leaves(lib)
    h = x + 0
    y = h ** 2
    h.add_(1)
    y.sum().backward()
    return x, w


def leaf_changed_under_no_grad_after_mul(lib):
    x, w = _leaves(lib)
    y = x * w
    with lib.no_grad():
        w.add_(1)
    y.sum().backward()
    return x, w


def constant_changed_after_mul(lib):
    x, _ = _leaves(lib)
    c = lib.tensor(W, dtype=lib.float64)
    y = x * c
    c.mul_(2)
    y.sum().backward()
    return (x,)


def through_a_view_under_no_grad(lib):
    x, w = _leaves(lib)
    y = x * w
    with lib.no_grad():
        w.view(3)[0:1].mul_(2)
    y.sum().backward()
    return x, w


def through_a_chunk_under_no_grad(lib):
    x, w = _leaves(lib)
    y = (x * w).sigmoid()
    with lib.no_grad():
        first, _ = y.chunk(2)
        first.zero_()
    y.sum().backward()
    return x, w


def through_detach(lib):
    x, w = _leaves(lib)
    y = (x * w).sigmoid()
    y.detach().zero_()
    y.sum().backward()
    return x, w


def after_backward_with_retain_graph(lib):
    x, w = _leaves(lib)
    loss = (x * w).sum()
    loss.backward(retain_graph=True)
    with lib.no_grad():
        w.mul_(2)
    loss.backward()
    return x, w


# ---------------------------------------------------------------------- PyTorch does not raise
def unsaved_input_add(lib):
    x, w = _leaves(lib)
    h = x * 1
    y = h + 1
    h.mul_(2)
    (y.sum() + (h * w).sum()).backward()
    return x, w


def unsaved_input_sum_and_mean(lib):
    x, w = _leaves(lib)
    h = x * w
    y = h.sum() + h.mean()
    h.zero_()
    y.backward()
    return x, w


def leaf_changed_under_no_grad_after_add(lib):
    x, w = _leaves(lib)
    y = x + w
    with lib.no_grad():
        w.add_(1)
    (y * y.detach()).sum().backward()
    return x, w


def retain_graph_unsaved(lib):
    x, w = _leaves(lib)
    loss = (x + w).sum()
    loss.backward(retain_graph=True)
    with lib.no_grad():
        w.mul_(2)
    loss.backward()
    return x, w


def recorded_inplace_after_saved_output(lib):
    x, w = _leaves(lib)
    h = x * 2
    h.add_(w)
    h.exp_()                       # saves its result, which mul_ then changes
    h.mul_(w)
    (h * h).sum().backward()
    return x, w


def recorded_chain_of_inplace(lib):
    x, w = _leaves(lib)
    h = x * 2
    h.add_(w)
    h.mul_(w)
    h.sub_(1)
    h.relu_()
    (h * x).sum().backward()
    return x, w


def advanced_index_and_cat(lib):
    x, w = _leaves(lib)
    h = x * w
    y = lib.cat([h[[0, 2]], h[[1]]])
    h.mul_(3)
    (y.sum() + h.sum()).backward()
    return x, w


def clone_before_changing(lib):
    x, w = _leaves(lib)
    y = (x * w).sigmoid()
    z = y.clone()
    z.mul_(2)
    (y + z).sum().backward()
    return x, w


def inplace_on_constant_with_grad_input(lib):
    x, w = _leaves(lib)
    c = lib.zeros(3, dtype=lib.float64)
    c.add_(x, alpha=2)
    c.addcmul_(x, w, value=0.5)
    c.clamp_(-1.0, 1.5)
    c.masked_fill_(c < -0.9, 0.0)
    (c * c).sum().backward()
    return x, w


def unneeded_saved_input_mul(lib):
    """``x * c`` with only x needing a gradient saves c alone: changing x is harmless."""
    x, w = _leaves(lib)
    c = lib.tensor(W, dtype=lib.float64)
    y = x * c
    with lib.no_grad():
        x.mul_(2)
    (y * w).sum().backward()
    return x, w


def unneeded_saved_input_matmul(lib):
    x, w = _leaves(lib)
    m = lib.tensor(np.arange(9.0).reshape(3, 3), dtype=lib.float64)
    y = x @ m
    with lib.no_grad():
        x.add_(1)
    (y * w).sum().backward()
    return x, w


def linear_weight_changed_when_input_needs_no_grad(lib):
    """A first layer: the data needs no gradient, so Linear keeps the data, not the weight, and
    an optimizer step between forward and backward is harmless (also for the bias)."""
    x, w = _leaves(lib)
    weight = lib.tensor(np.arange(6.0).reshape(2, 3) / 4, dtype=lib.float64, requires_grad=True)
    bias = lib.tensor([0.5, -0.5], dtype=lib.float64, requires_grad=True)
    data = lib.tensor(np.ones((4, 3)), dtype=lib.float64)
    y = lib.nn.functional.linear(data * x.detach(), weight, bias)
    with lib.no_grad():
        weight.sub_(0.1)
        bias.add_(1.0)
    (y * y).sum().backward()
    return weight, bias


def _conv_leaves(lib, data_needs_grad=False):
    """A 3x3 weight from 1 to 2 channels, its bias and a 5x5 image, in float64."""
    weight = lib.tensor(np.linspace(-1, 1, 18).reshape(2, 1, 3, 3), dtype=lib.float64,
                        requires_grad=True)
    bias = lib.tensor([0.1, 0.2], dtype=lib.float64, requires_grad=True)
    data = lib.tensor(np.arange(25.0).reshape(1, 1, 5, 5) / 25, dtype=lib.float64,
                      requires_grad=data_needs_grad)
    return weight, bias, data


def conv_weight_changed_when_input_needs_no_grad(lib):
    """Unlike Linear, PyTorch's convolution keeps its weight even when the input needs no
    gradient, so the change raises in both."""
    weight, bias, data = _conv_leaves(lib)
    y = lib.nn.functional.conv2d(data, weight, bias, padding=1)
    with lib.no_grad():
        weight.mul_(0.5)
    (y * y).sum().backward()
    return weight, bias


def conv_bias_changed(lib):
    weight, bias, data = _conv_leaves(lib)
    y = lib.nn.functional.conv2d(data, weight, bias, padding=1)
    with lib.no_grad():
        bias.add_(1.0)
    (y * y).sum().backward()
    return weight, bias


def conv_weight_changed_when_input_needs_grad(lib):
    weight, _, data = _conv_leaves(lib, data_needs_grad=True)
    y = lib.nn.functional.conv2d(data, weight, padding=1)
    with lib.no_grad():
        weight.mul_(0.5)
    (y * y).sum().backward()
    return weight, data


#: (program, the block nnblocks names when PyTorch raises, or None when PyTorch does not raise)
CASES = [
    (saved_output_sigmoid, "SigmoidBlock"),
    (saved_output_exp, "ExpBlock"),
    (saved_output_tanh_augmented, "TanhBlock"),
    (saved_output_relu, "ReLUBlock"),
    (saved_output_softmax, "SoftmaxBlock"),
    (saved_input_mul, "MulBlock"),
    (saved_input_matmul, "MatMulBlock"),
    (saved_input_pow, "PowBlock"),
    (leaf_changed_under_no_grad_after_mul, "MulBlock"),
    (constant_changed_after_mul, "MulBlock"),
    (through_a_view_under_no_grad, "MulBlock"),
    (through_a_chunk_under_no_grad, "SigmoidBlock"),
    (through_detach, "SigmoidBlock"),
    (after_backward_with_retain_graph, "MulBlock"),
    (recorded_inplace_after_saved_output, "ExpBlock"),
    (unsaved_input_add, None),
    (unsaved_input_sum_and_mean, None),
    (leaf_changed_under_no_grad_after_add, None),
    (retain_graph_unsaved, None),
    (recorded_chain_of_inplace, None),
    (advanced_index_and_cat, None),
    (clone_before_changing, None),
    (inplace_on_constant_with_grad_input, None),
    (unneeded_saved_input_mul, None),
    (unneeded_saved_input_matmul, None),
    (linear_weight_changed_when_input_needs_no_grad, None),
    (conv_weight_changed_when_input_needs_no_grad, "Conv2dBlock"),
    (conv_bias_changed, None),
    (conv_weight_changed_when_input_needs_grad, "Conv2dBlock"),
]


@pytest.mark.parametrize("program, block", CASES, ids=[c[0].__name__ for c in CASES])
def test_as_pytorch(program, block) -> None:
    torch = import_torch()
    if block is not None:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            program(torch)
        with pytest.raises(RuntimeError, match=rf"^{block}: a tensor it saved for backward .* "
                                               r"modified by an in-place operation"):
            program(nb)
        return
    theirs = program(torch)
    ours = program(nb)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_versions_count_and_views_share_them() -> None:
    x = nb.zeros(2, 3)
    v = x.view(6)
    assert x._version == v._version == 0
    x.add_(1)
    v[0] = 5.0
    x += 1
    assert x._version == v._version == 3
    assert v.array[0] == 6.0 and v.array[1] == 2.0          # the view saw every change


def test_recorded_inplace_on_a_view_is_refused_clearly() -> None:
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    v = h.view(2)
    with pytest.raises(RuntimeError, match="in-place change of this view .* is not supported"):
        v.mul_(2)
