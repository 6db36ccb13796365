"""The backward engine: order, fan-out accumulation, freeing and retain_graph, bad calls."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Block, Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return nb.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------- blocks for these tests
class TwoOutputs(Block):
    """y1 = 2x, y2 = 3x: a multi-output block."""

    @staticmethod
    def forward(x):
        return (2 * x, 3 * x), None

    @staticmethod
    def backward(saved, gy):
        g1, g2 = gy
        return (2 * g1 + 3 * g2,)


class WrongShapeGradient(Block):
    @staticmethod
    def forward(x):
        return x.copy(), x.shape

    @staticmethod
    def backward(shape, gy):
        return (np.ones((7,)),)


class NotATuple(Block):
    @staticmethod
    def forward(x):
        return x.copy(), None

    @staticmethod
    def backward(saved, gy):
        return gy                                  # forgot the tuple


class IntegerOutput(Block):
    @staticmethod
    def forward(x):
        return np.argsort(x), None

    @staticmethod
    def backward(saved, gy):  # pragma: no cover - never called: integer outputs are not recorded
        raise AssertionError


# ---------------------------------------------------------------------- order and depth
def test_chain_of_100000_ops_has_no_recursion_limit():
    x = leaf(np.zeros(3))
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))
    np.testing.assert_array_equal(y.array, np.full(3, 100_000.0))


def test_diamond_gradients_add_up():
    x = leaf([1.5, -2.0])
    a = x * 2.0                                    # da/dx = 2
    b = a * 3.0
    c = a * 4.0
    d = (b + c).sum()                              # dd/da = 7
    d.backward()
    np.testing.assert_array_equal(x.grad, [14.0, 14.0])


def test_fan_out_of_a_leaf_used_many_times():
    x = leaf([0.5, 2.0, -1.0])
    y = (x * x + x * 3.0 + x - x / 2.0).sum()      # dy/dx = 2x + 3 + 1 - 1/2
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * x.array + 3.5, rtol=1e-15)


def test_shared_intermediate_at_different_depths():
    x = leaf([1.0, 2.0])
    a = x.exp()
    deep = a
    for _ in range(5):
        deep = deep * 1.0
    y = (deep * a).sum()                           # = sum(e^{2x}), dy/dx = 2 e^{2x}
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.array), rtol=1e-14)


def test_same_tensor_twice_in_one_block():
    x = leaf([3.0])
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_broadcast_gradients_are_summed_back_to_each_input_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.ones((1, 4)))
    c = leaf(2.0)
    (a * b * c).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 8.0))
    np.testing.assert_array_equal(b.grad, np.full((1, 4), 6.0))
    assert c.grad.shape == () and c.grad == 12.0


def test_only_inputs_that_require_grad_get_gradients():
    x = leaf([1.0, 2.0])
    w = nb.tensor(np.array([3.0, 4.0]))
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert w.grad is None


def test_multi_output_block_gets_zeros_for_unused_outputs():
    x = leaf([1.0, 2.0])
    y1, y2 = TwoOutputs.apply(x)
    assert y1.grad_fn is y2.grad_fn
    y2.sum().backward()                            # y1 unused: its gradient is zero
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_multi_output_block_both_outputs():
    x = leaf([1.0])
    y1, y2 = TwoOutputs.apply(x)
    (y1 * 5.0 + y2).sum().backward()
    np.testing.assert_array_equal(x.grad, [13.0])


def test_integer_outputs_are_not_part_of_the_graph():
    idx = IntegerOutput.apply(leaf([3.0, 1.0, 2.0]))
    assert idx.dtype.kind == "i"
    assert not idx.requires_grad and idx.grad_fn is None


def test_backward_from_a_leaf():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ---------------------------------------------------------------------- retain_graph
def test_second_backward_on_freed_graph_names_the_block():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backpropagate through SumBlock a second time.*"
                                           r"retain_graph=True"):
        y.backward()


def test_freed_inner_node_is_detected_from_a_new_root():
    x = leaf([1.0, 2.0])
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match=r"through MulBlock a second time"):
        (h * 2.0).sum().backward()


def test_retain_graph_accumulates_exactly_twice():
    x = leaf([0.3, -1.2, 2.5])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    once = x.grad.array.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * once)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()                               # the second call did not retain


def test_freeing_releases_saved_arrays():
    x = leaf([1.0, 2.0])
    y = x * x
    node = y.grad_fn
    assert node.saved is not None
    y.sum().backward()
    assert node.saved is None and node.freed


# ---------------------------------------------------------------------- bad calls
def test_backward_on_non_scalar_without_grad_names_the_shape():
    y = leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(RuntimeError, match=r"only for a tensor with one element; got shape "
                                           r"\(2, 3\)"):
        y.backward()


def test_backward_with_explicit_grad_is_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_backward_with_grad_of_wrong_shape():
    y = leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\), expected .* \(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nb.tensor([1.0]).sum().backward()


def test_block_returning_wrong_gradient_shape_is_named():
    with pytest.raises(RuntimeError, match=r"WrongShapeGradient.backward returned a gradient of "
                                           r"shape \(7,\) for input 0 of shape \(2, 2\)"):
        WrongShapeGradient.apply(leaf(np.ones((2, 2)))).sum().backward()


def test_block_returning_a_non_tuple_is_named():
    with pytest.raises(TypeError, match=r"NotATuple.backward must return a tuple"):
        NotATuple.apply(leaf([1.0])).sum().backward()


# ---------------------------------------------------------------------- retain_grad
def test_retain_grad_on_intermediate_used_twice():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h + h).sum().backward()
    np.testing.assert_array_equal(h.grad, 2 * h.array + 1)
    np.testing.assert_array_equal(x.grad, 3 * (2 * h.array + 1))


def test_intermediate_grad_is_not_kept_without_retain_grad():
    x = leaf([1.0])
    h = x * 2.0
    (h * h).sum().backward()
    assert h.grad is None


def test_retain_grad_on_one_output_of_a_multi_output_block():
    x = leaf([1.0])
    y1, y2 = TwoOutputs.apply(x)
    y2.retain_grad()
    y2.retain_grad()                               # twice is harmless
    (y1 + 4.0 * y2).sum().backward()
    np.testing.assert_array_equal(y2.grad, [4.0])
    assert y1.grad is None
