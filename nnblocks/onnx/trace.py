"""Record every block a model applies to an example input, hyper-parameters included.

The tracer is installed through :data:`nnblocks.core.block.block_tracer`: while it is set,
:meth:`~nnblocks.core.Block.apply` hands each call to it, so the trace sees the block class,
the inputs exactly as they were passed (tensors, parameter tensors, buffer arrays, Python
numbers, None) and the keyword hyper-parameters, in the order the model ran them. The model runs
in eval mode and under ``no_grad`` (nothing is recorded for backpropagation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnblocks.core import Tensor, no_grad
from nnblocks.core.block import block_tracer


@dataclass
class Op:
    """One application of a block.

    Attributes:
        block: the :class:`~nnblocks.core.Block` subclass.
        inputs: the positional inputs as passed to ``apply``.
        hyper: the keyword hyper-parameters.
        outputs: the output tensors (one, or several for a block with several outputs).
        partner: the same op in the trace at other sizes of the dynamic axes (None without).
    """

    block: type
    inputs: tuple
    hyper: dict[str, Any]
    outputs: tuple[Tensor, ...]
    partner: Op | None = field(default=None, repr=False)


@dataclass
class Trace:
    """The ops of one forward pass, its input tensors and its (flattened) output tensors."""

    ops: list[Op]
    inputs: tuple[Tensor, ...]
    outputs: tuple[Any, ...]


def flatten_outputs(result: Any, who: str = "export") -> tuple[Any, ...]:
    """The tensors of a model's result: a tensor, or (nested) tuples and lists of them."""
    if isinstance(result, (tuple, list)):
        flat: list[Any] = []
        for item in result:
            flat.extend(flatten_outputs(item, who))
        return tuple(flat)
    if isinstance(result, Tensor):
        return (result,)
    raise TypeError(f"{who}: the model returned a {type(result).__name__}; expected a tensor "
                    "or a tuple of tensors")


def as_inputs(example: Any) -> tuple[Tensor, ...]:
    """The example input(s) as new tensors: one array/tensor, or a tuple of them."""
    items = example if isinstance(example, (tuple, list)) else (example,)
    return tuple(Tensor(np.asarray(getattr(x, "array", x))) for x in items)


def run_trace(model: Any, inputs: Sequence[Tensor]) -> Trace:
    """Run ``model(*inputs)`` in eval mode, recording every block applied."""
    ops: list[Op] = []

    def tracer(cls: type, args: tuple, hyper: dict[str, Any]) -> Any:
        token = block_tracer.set(None)                # the block itself runs untraced
        try:
            out = cls.apply(*args, **hyper)
        finally:
            block_tracer.reset(token)
        outs = out if isinstance(out, tuple) else (out,)
        ops.append(Op(cls, args, dict(hyper), outs))
        return out

    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    token = block_tracer.set(tracer)
    try:
        with no_grad():
            result = model(*inputs)
    finally:
        block_tracer.reset(token)
        if was_training:
            model.train(True)
    return Trace(ops, tuple(inputs), flatten_outputs(result))


def resized(inputs: Sequence[Tensor], sizes: dict[int, int]) -> tuple[Tensor, ...]:
    """The inputs with new sizes on the given axes (``{axis: size}``), entries repeated
    cyclically along each axis."""
    out = []
    for x in inputs:
        data = x.array
        for axis, size in sizes.items():
            if data.ndim <= axis:
                raise ValueError(f"export: a dynamic axis {axis} needs inputs with more than "
                                 f"{axis} dims; got an input of shape {data.shape} (pass "
                                 "dynamic_batch=False or fewer dynamic_axes)")
            data = np.take(data, np.arange(size) % data.shape[axis], axis=axis)
        out.append(Tensor(data))
    return tuple(out)


def pair_traces(first: Trace, second: Trace) -> None:
    """Link each op of ``first`` to the op at the same place in ``second`` (other sizes of the
    dynamic axes); the two runs must apply the same blocks."""
    blocks = [op.block for op in first.ops]
    others = [op.block for op in second.ops]
    if blocks != others:
        k = next((k for k, (a, b) in enumerate(zip(blocks, others)) if a is not b),
                 min(len(blocks), len(others)))
        raise ValueError(
            f"export: the model applies different blocks at different batch sizes (op {k}: "
            f"{len(blocks)} ops vs {len(others)}); export it with dynamic_batch=False (and no "
            "dynamic_axes)"
        )
    if len(first.outputs) != len(second.outputs):
        raise ValueError("export: the model returns a different number of outputs at another "
                         "batch size; export it with dynamic_batch=False (and no dynamic_axes)")
    for a, b in zip(first.ops, second.ops):
        a.partner = b


def same_value(a: Any, b: Any) -> bool:
    """Whether two hyper-parameters or constants are equal (arrays by shape and content)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = getattr(a, "array", a), getattr(b, "array", b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, slice) and isinstance(b, slice):
        return same_value((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b
