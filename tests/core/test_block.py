"""Block.apply: recording rules, constants, registry, non-differentiable blocks."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.core import Block, Node, Tensor
from nnblocks.functional.compare import CompareBlock
from nnblocks.functional.math import MulBlock


class Scale(Block):
    """y = k x for a hyper-parameter k."""

    @staticmethod
    def forward(x, *, k):
        return k * x, None

    @staticmethod
    def backward(saved, gy):
        raise AssertionError("not called in these tests")


def test_apply_records_a_node_with_inputs_and_flags():
    a = nb.tensor(np.ones(2), requires_grad=True)
    b = nb.tensor(np.ones(2))
    y = MulBlock.apply(a, b)
    node = y.grad_fn
    assert isinstance(node, Node) and node.block is MulBlock
    assert node.inputs == (a, b) and node.needs_input_grad == (True, False)
    assert node.out_meta == (((2,), np.dtype(np.float64)),) and not node.multi
    assert repr(node) == "<Node MulBlock>"


def test_constants_are_kept_as_none():
    a = nb.tensor(np.ones(2), requires_grad=True)
    y = MulBlock.apply(a, 3.0)
    assert y.grad_fn.inputs == (a, None)
    np.testing.assert_array_equal(y.array, [3.0, 3.0])


def test_hyper_parameters_reach_forward():
    y = Scale.apply(nb.tensor(np.ones(2)), k=4.0)
    assert isinstance(y, Tensor) and y.array.tolist() == [4.0, 4.0]
    assert y.grad_fn is None


def test_numpy_scalar_results_become_0d_tensors():
    y = nb.tensor(np.ones(3), requires_grad=True).sum()
    assert isinstance(y.array, np.ndarray) and y.shape == ()


def test_non_differentiable_block_is_never_recorded():
    assert CompareBlock.differentiable is False
    y = CompareBlock.apply(nb.tensor([1.0], requires_grad=True), 0.0, op="gt")
    assert y.grad_fn is None and not y.requires_grad


def test_subclasses_register_themselves():
    assert Block.registry[f"{__name__}.Scale"] is Scale
    assert Block.registry["nnblocks.functional.math.MulBlock"] is MulBlock
