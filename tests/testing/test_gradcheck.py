"""nb.testing.gradcheck: passes on correct blocks, and names what is wrong otherwise."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Block, Tensor
from nnblocks.testing import GradcheckError, gradcheck
from nnblocks.testing.gradcheck import FULL_JACOBIAN_MAX


class WrongSquare(Block):
    """y = a * x^2 with a wrong derivative for x (forgets the 2); the one for a is right."""

    @staticmethod
    def forward(a, x):
        return a * x * x, (a, x)

    @staticmethod
    def backward(saved, gy):
        a, x = saved
        return gy * x * x, gy * a * x                  # correct: gy * 2 a x


class NanGradient(Block):
    @staticmethod
    def forward(x):
        return x.copy(), None

    @staticmethod
    def backward(saved, gy):
        return (gy * np.nan,)


def f64(values, grad=True) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def test_passes_on_a_composition_of_correct_blocks(rng):
    x = f64(rng.standard_normal((3, 4)))
    w = f64(rng.standard_normal((4, 2)))
    b = f64(rng.standard_normal(2))
    assert gradcheck(lambda x, w, b: ((x @ w + b).exp().sum(dim=1) ** 2).mean(), [x, w, b])


def test_passes_with_multiple_outputs_and_constants(rng):
    x = f64(rng.standard_normal((4, 3)))
    assert gradcheck(lambda x, k: tuple(p * k for p in x.split([1, 3])), [x, 2.5])


def test_float32_inputs_are_checked_in_float64(rng):
    x = nb.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), [x])
    assert x.dtype == np.float32 and x.grad is None       # the caller's tensor is untouched


def test_works_inside_no_grad(rng):
    x = f64(rng.standard_normal(3))
    with nb.no_grad():
        assert gradcheck(lambda t: t.exp(), [x])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2.0, [f64([1.0], grad=False)])


@pytest.mark.parametrize("fn", [lambda t: t.argmax(), lambda t: t > 0.0, lambda t: ()],
                         ids=["integer", "boolean", "nothing"])
def test_no_floating_output_is_an_error_not_a_pass(fn):
    with pytest.raises(ValueError, match="no floating-point tensor to differentiate"):
        gradcheck(fn, [f64([0.5, -1.0])])


def test_wrong_block_names_block_input_and_worst_element():
    a = f64([1.0, 1.0, 1.0])
    x = f64([0.1, -0.2, 3.0])              # error |2ax - ax| = |x|: worst at element 2
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, x: WrongSquare.apply(a, x), [a, x])
    message = str(info.value)
    assert "WrongSquare" in message
    assert "input 1 of shape (3,)" in message
    assert "worst element (2,) (output element 2)" in message
    assert re.search(r"analytic 3\b.*numerical 6\b", message), message


def test_the_block_is_named_inside_a_composition():
    x = f64([0.5, 1.5])
    with pytest.raises(GradcheckError, match=r"block\(s\) Sum, Mul, WrongSquare"):
        gradcheck(lambda x: (WrongSquare.apply(2.0, x) * 3.0).sum(), [x])


def test_nan_gradient_fails():
    with pytest.raises(GradcheckError, match="NanGradient.*analytic nan"):
        gradcheck(lambda x: NanGradient.apply(x), [f64([1.0, 2.0])])


def test_random_direction_path_passes_on_large_inputs(rng):
    n = 21                                             # 441 elements > FULL_JACOBIAN_MAX
    assert n * n > FULL_JACOBIAN_MAX
    x = f64(rng.standard_normal((n, n)))
    w = f64(rng.standard_normal((n, 3)))
    assert gradcheck(lambda x, w: (x @ w).exp(), [x, w], rng=rng)


def test_random_direction_path_catches_a_wrong_gradient(rng):
    x = f64(rng.uniform(0.5, 1.5, (21, 21)))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongSquare.apply(1.0, x), [x], rng=rng)
    message = str(info.value)
    assert "WrongSquare" in message and "input 0 of shape (21, 21)" in message
    assert "random direction 0: <J^T u, v> vs <u, J v>" in message
    assert "worst element" in message and "of J^T u" in message


def test_random_directions_are_reproducible_with_an_explicit_rng(rng):
    x = f64(rng.uniform(0.5, 1.5, (30, 20)))
    messages = []
    for _ in range(2):
        with pytest.raises(GradcheckError) as info:
            gradcheck(lambda x: WrongSquare.apply(1.0, x), [x],
                      rng=np.random.default_rng(3))
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_input_names_label_the_failing_input():
    with pytest.raises(GradcheckError, match=r"input 1 \(my x\) of shape"):
        gradcheck(lambda a, x: WrongSquare.apply(a, x), [f64([1.0]), f64([2.0])],
                  input_names=["my a", "my x"])
