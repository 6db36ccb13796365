"""nb.testing.check_module: gradients w.r.t. a module's inputs and every parameter."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Block
from nnblocks.nn import Module, Parameter
from nnblocks.testing import GradcheckError, check_module


class BadBias(Block):
    """y = x + b with a wrong gradient for b (doubled)."""

    @staticmethod
    def forward(x, b):
        return x + b, None

    @staticmethod
    def backward(saved, gy):
        return gy, 2 * gy


class Affine(Module):
    """y = x W^T + b; used as a sub-module so parameter names are nested."""

    def __init__(self, rng: np.random.Generator, bad_bias: bool = False) -> None:
        super().__init__()
        self.weight = Parameter(rng.standard_normal((2, 3)).astype(np.float32))
        self.bias = Parameter(rng.standard_normal(2).astype(np.float32))
        self.bad_bias = bad_bias

    def forward(self, x):
        y = x @ self.weight.T
        return BadBias.apply(y, self.bias) if self.bad_bias else y + self.bias


class Net(Module):
    def __init__(self, rng: np.random.Generator, bad_bias: bool = False) -> None:
        super().__init__()
        self.layer = Affine(rng, bad_bias)
        self.scale = Parameter(np.array([1.5], dtype=np.float32))

    def forward(self, x, power=2):
        return (self.layer(x) * self.scale) ** power


def test_correct_module_passes_and_is_left_in_float64(rng):
    net = Net(rng)
    x = nb.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    assert check_module(net, x, power=3)
    assert all(p.dtype == np.float64 for p in net.parameters())


def test_wrong_parameter_gradient_is_caught_and_named(rng):
    net = Net(rng, bad_bias=True)
    x = nb.tensor(rng.standard_normal((4, 3)))
    with pytest.raises(GradcheckError, match=r"BadBias.*input 3 \(parameter 'layer.bias'\) "
                                             r"of shape \(2,\)"):
        check_module(net, x)


def test_frozen_parameters_are_not_checked(rng):
    net = Net(rng, bad_bias=True)
    net.layer.bias.requires_grad = False
    assert check_module(net, nb.tensor(rng.standard_normal((4, 3))))


def test_integer_inputs_pass_through_as_constants(rng):
    class Pick(Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = Parameter(rng.standard_normal((5, 2)))

        def forward(self, index):
            return self.weight[index] * 2.0

    assert check_module(Pick(), nb.tensor([0, 3, 3]))
