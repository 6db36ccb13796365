r"""``nb.autograd.Function``: PyTorch's custom autograd functions, as a thin adapter over Block.

A custom function written for PyTorch runs unchanged::

    class MyReLU(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            grad = grad_output.clone()
            grad[x < 0] = 0
            return grad

    y = MyReLU.apply(x)

``forward`` runs on the caller's tensors with recording off; what it returns (a tensor or a tuple
of tensors) becomes the output of one recorded node, whose backward calls ``backward(ctx,
*grad_outputs)`` on tensors, again with recording off, and expects one gradient (or None) per
argument of ``forward``. ``ctx.save_for_backward``, ``ctx.saved_tensors``,
``ctx.needs_input_grad`` and attributes set on ``ctx`` work as in PyTorch, and so does the newer
form with a ctx-free ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``.
``ctx.mark_non_differentiable`` is accepted, but those outputs still carry a gradient (zeros
unless they are used) to ``backward``.

The native form in nnblocks is a :class:`~nnblocks.core.Block`: ``forward(*arrays) -> (y,
saved)`` and ``backward(saved, gy)`` on NumPy arrays, with no tensors and no context object —
simpler, faster, and what every layer of the library is written as. ``Function`` is for code
that comes from PyTorch. Not supported: double backward (``create_graph``), ``mark_dirty``
(in-place forward), ``torch.autograd.grad``.

>>> import nnblocks as nb
>>> class Square(nb.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 2 * x * g
>>> x = nb.tensor([1.0, 3.0], requires_grad=True)
>>> Square.apply(x).sum().backward()
>>> x.grad
tensor([2., 6.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from nnblocks.core import Block, Tensor, is_grad_enabled, no_grad


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attributes set on it."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[Any, ...] = ()
        self.non_differentiable: tuple[Any, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``backward``, available there as ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors or None, got {type(t).__name__} "
                    "(store other values as attributes of ctx)"
                )
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Outputs that get no gradient (their gradient reaches backward as zeros)."""
        self.non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted; gradients of unused outputs always reach ``backward`` as zeros here."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors: Any) -> None:
        raise NotImplementedError(
            "ctx.mark_dirty: in-place custom functions are not supported; return a new tensor "
            "from forward instead of modifying an input"
        )


class Function:
    """Base class of custom autograd functions (PyTorch's ``torch.autograd.Function``)."""

    _block: ClassVar[type[Block] | None] = None

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` and record one node whose backward calls ``backward``."""
        recording = is_grad_enabled()
        needs = tuple(recording and isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            if _has_setup_context(cls):
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        multi = isinstance(output, tuple)
        outputs = output if multi else (output,)
        for i, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return tensors, got "
                                f"{type(o).__name__} as output {i}")
        return _block_of(cls).apply(*args, ctx=ctx, outputs=outputs, multi=multi)


def _has_setup_context(cls: type) -> bool:
    own = getattr(cls, "setup_context", None)
    return own is not None and own is not getattr(Function, "setup_context", None)


def _block_of(cls: type[Function]) -> type[Block]:
    """The Block that records ``cls`` (made once per Function subclass, not registered)."""
    block = cls.__dict__.get("_block")
    if block is None:
        block = _make_block(cls)
        cls._block = block
    return block


def _make_block(cls: type[Function]) -> type[Block]:
    name = cls.__name__

    class FunctionBlock(Block, register=False):
        takes_needs_input_grad = True

        @staticmethod
        def forward(*arrays: Any, ctx: FunctionCtx, outputs: tuple, multi: bool,
                    needs_input_grad: tuple) -> Any:
            ys = tuple(o.array for o in outputs)
            return (ys if multi else ys[0]), (ctx, len(arrays), needs_input_grad)

        @staticmethod
        def backward(saved: Any, gy: Any) -> tuple:
            ctx, n_inputs, needs_input_grad = saved
            grads_out = gy if isinstance(gy, tuple) else (gy,)
            with no_grad():
                result = cls.backward(ctx, *(Tensor(g) for g in grads_out))
            grads = result if isinstance(result, tuple) else (result,)
            if len(grads) != n_inputs:
                raise RuntimeError(
                    f"function {name}Backward returned an incorrect number of gradients "
                    f"(expected {n_inputs}, got {len(grads)})"
                )
            out = []
            for i, g in enumerate(grads):
                if g is None or not needs_input_grad[i]:
                    out.append(None)
                    continue
                array = g.array if isinstance(g, Tensor) else np.asarray(g)
                out.append(array)
            return tuple(out)

    FunctionBlock.__name__ = FunctionBlock.__qualname__ = f"{name}Backward"
    return FunctionBlock


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's decorator for a backward that is not itself differentiable: every backward
    here is (nnblocks has no double backward), so it returns ``fn`` unchanged."""
    return fn


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
