"""Element-wise arithmetic, comparisons, reductions and (inference-mode) dropout.

NumPy promotes mixed dtypes where ONNX operators need equal ones: every operand is brought to
the block's output dtype (constants are made in it, graph values are Cast), the operands of a
comparison to their common dtype.
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional import compare, reduce
from nnblocks.functional import math as m
from nnblocks.functional.dropout import DropoutBlock
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts

_BINARY = {m.AddBlock: "Add", m.SubBlock: "Sub", m.MulBlock: "Mul", m.DivBlock: "Div",
           m.PowBlock: "Pow", m.MaximumBlock: "Max", m.MinimumBlock: "Min", m.MatMulBlock: "MatMul"}
_UNARY = {m.NegBlock: "Neg", m.ExpBlock: "Exp", m.LogBlock: "Log", m.SqrtBlock: "Sqrt",
          m.AbsBlock: "Abs"}
_COMPARE = {"eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
            "ge": "GreaterOrEqual"}


@converts(*_BINARY)
def binary(ctx: OpContext) -> str:
    dtype = ctx.out_array().dtype
    return ctx.g.node(_BINARY[ctx.op.block], [ctx.input_as(0, dtype), ctx.input_as(1, dtype)])


@converts(*_UNARY)
def unary(ctx: OpContext) -> str:
    return ctx.g.node(_UNARY[ctx.op.block], [ctx.input_as(0, ctx.out_array().dtype)])


@converts(m.ClipBlock)
def clip(ctx: OpContext) -> str:
    g = ctx.g
    dtype = ctx.out_array().dtype
    bounds = [None if ctx.hyper.get(k) is None else g.scalar(ctx.hyper[k], dtype)
              for k in ("min", "max")]
    return g.node("Clip", [ctx.input_as(0, dtype), *bounds])


@converts(m.WhereBlock)
def where(ctx: OpContext) -> str:
    dtype = ctx.out_array().dtype
    return ctx.g.node("Where", [ctx.input_as(0, np.bool_), ctx.input_as(1, dtype),
                                ctx.input_as(2, dtype)])


@converts(compare.CompareBlock)
def compare_op(ctx: OpContext) -> str:
    dtype = np.result_type(ctx.array(0), ctx.array(1))
    a, b = ctx.input_as(0, dtype), ctx.input_as(1, dtype)
    op = ctx.hyper["op"]
    if op == "ne":
        return ctx.g.node("Not", [ctx.g.node("Equal", [a, b])])
    return ctx.g.node(_COMPARE[op], [a, b])


def reduced_axes(ctx: OpContext) -> list[int]:
    """The axes a reduction block reduces (all for ``dim=None``), non-negative."""
    ndim = ctx.ndim(0)
    dim = ctx.hyper.get("dim")
    if dim is None:
        return list(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    return sorted({int(d) % ndim for d in dims}) if ndim else []


_REDUCE = {reduce.SumBlock: "ReduceSum", reduce.MeanBlock: "ReduceMean",
           reduce.MaxBlock: "ReduceMax", reduce.MinBlock: "ReduceMin"}


@converts(*_REDUCE)
def reduction(ctx: OpContext) -> str:
    axes = reduced_axes(ctx)
    if not axes:                                  # a 0-d input: nothing to reduce
        return ctx.g.node("Identity", [ctx.input(0)])
    return ctx.g.reduce(_REDUCE[ctx.op.block], ctx.input(0), axes,
                        bool(ctx.hyper.get("keepdim", False)))


@converts(reduce.VarBlock)
def var(ctx: OpContext) -> str:
    r""":math:`\frac{1}{n - c} \sum (x - \bar x)^2` over the axes (``c`` the correction)."""
    g = ctx.g
    axes = reduced_axes(ctx)
    count = int(np.prod([ctx.shape(0)[a] for a in axes]))
    partner = ctx.op.partner
    if partner is not None:
        other = np.shape(getattr(partner.inputs[0], "array", partner.inputs[0]))
        if int(np.prod([other[a] for a in axes])) != count:
            raise ctx.error("a variance over the batch axis cannot be exported with a dynamic "
                            "batch; export with dynamic_batch=False")
    x = ctx.input(0)
    mean = g.reduce("ReduceMean", x, axes, True)
    centered = g.node("Sub", [x, mean])
    keepdim = bool(ctx.hyper.get("keepdim", False))
    total = g.reduce("ReduceSum", g.node("Mul", [centered, centered]), axes, keepdim)
    divisor = count - int(ctx.hyper.get("correction", 1))
    return g.node("Div", [total, g.scalar(divisor, ctx.dtype(0))])


@converts(DropoutBlock)
def dropout_op(ctx: OpContext) -> str:
    """Inference: the identity (nn.Dropout applies no block in eval mode; a dropout block
    traced anyway, ``F.dropout(training=True)``, is exported as at inference, like PyTorch)."""
    return ctx.g.node("Identity", [ctx.input(0)])
