"""Custom autograd Functions written for PyTorch run on nnblocks with only the import changed:
the same source text is executed with ``torch`` and with ``nnblocks`` as the library, and the
outputs and gradients agree; the adapter's node is gradient-checked; mistakes get messages."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.testing import gradcheck

#: PyTorch-style source: ``lib`` is torch or nnblocks
SOURCE = '''
class LegendrePolynomial3(lib.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class MyReLU(lib.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output * (input > 0).double()
        return grad_input


class ScaledSumAndProduct(lib.autograd.Function):
    """Two tensor inputs, a number, two outputs; needs_input_grad consulted."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * (a + b), a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = ctx.scale * g_sum + g_prod * b
        if ctx.needs_input_grad[1]:
            gb = ctx.scale * g_sum + g_prod * a
        return ga, gb, None


class Cube(lib.autograd.Function):
    """The newer form: forward without ctx, plus setup_context."""

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


def run(x, a, b):
    y = LegendrePolynomial3.apply(x) + MyReLU.apply(x) + Cube.apply(x)
    s, p = ScaledSumAndProduct.apply(a, b, 2.5)
    loss = y.sum() + (s * p).sum()
    loss.backward()
    return loss
'''


def _namespace(lib):
    scope = {"lib": lib}
    exec(compile(SOURCE, "<pytorch-style program>", "exec"), scope)
    return scope


def test_the_same_source_runs_on_torch_and_nnblocks(rng, torch) -> None:
    x0, a0, b0 = (rng.standard_normal(5) for _ in range(3))
    ours = _namespace(nb)
    theirs = _namespace(torch)
    xs = [nb.tensor(x0, requires_grad=True), nb.tensor(a0, requires_grad=True),
          nb.tensor(b0, requires_grad=True)]
    ts = [torch.tensor(v, requires_grad=True) for v in (x0, a0, b0)]
    loss = ours["run"](*xs)
    expected = theirs["run"](*ts)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    for mine, reference in zip(xs, ts):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-12)


def test_needs_input_grad_and_gradcheck(rng) -> None:
    scope = _namespace(nb)
    a = nb.tensor(rng.standard_normal(4), requires_grad=True)
    b = nb.tensor(rng.standard_normal(4))                       # no gradient wanted
    seen = {}

    class Spy(nb.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    Spy.apply(a, b).sum().backward()
    assert seen["needs"] == (True, False)
    assert b.grad is None
    with nb.no_grad():
        Spy.apply(a, b)
    assert seen["needs"] == (False, False)
    legendre = scope["LegendrePolynomial3"]
    assert gradcheck(legendre.apply, [nb.tensor(rng.standard_normal(6), requires_grad=True)])
    outputs = scope["ScaledSumAndProduct"].apply
    assert gradcheck(lambda p, q: outputs(p, q, 1.5)[1],
                     [nb.tensor(rng.standard_normal(3), requires_grad=True),
                      nb.tensor(rng.standard_normal(3), requires_grad=True)])


def test_mistakes_get_messages(rng) -> None:
    class TooFew(nb.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a = nb.tensor(rng.standard_normal(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        TooFew.apply(a, a).sum().backward()

    class SavesANumber(nb.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(3.0)
            return a

    with pytest.raises(TypeError, match="save_for_backward can only save tensors or None"):
        SavesANumber.apply(a)

    class ReturnsArray(nb.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.array

    with pytest.raises(TypeError, match="ReturnsArray.forward must return tensors"):
        ReturnsArray.apply(a)


def test_function_blocks_do_not_join_the_block_table() -> None:
    class Doubler(nb.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return 2 * a

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    Doubler.apply(nb.tensor([1.0], requires_grad=True))
    assert not any("Doubler" in name for name in nb.Block.registry)
