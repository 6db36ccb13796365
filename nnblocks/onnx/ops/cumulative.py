"""Running sums, products over axes and einsum: ``CumSum``, ``ReduceProd``, ``Einsum``.

A running product has no ONNX operator and is not exported (the error names it).
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional.cumulative import CumsumBlock
from nnblocks.functional.einsum import EinsumBlock, _explicit
from nnblocks.functional.reduce_extra import ProdBlock
from nnblocks.onnx.graph import OpContext, onnx_dtype
from nnblocks.onnx.ops.math import reduced_axes
from nnblocks.onnx.registry import converts


def _in_output_dtype(ctx: OpContext) -> str:
    """Input 0 cast to the output's dtype (integer inputs give int64, as PyTorch)."""
    x = ctx.input(0)
    out = ctx.out_array(0).dtype
    return x if ctx.dtype(0) == out else ctx.g.node("Cast", [x], to=onnx_dtype(out))


@converts(CumsumBlock)
def cumsum(ctx: OpContext) -> str:
    """``CumSum`` along ``dim`` (an int64 axis input)."""
    axis = int(ctx.hyper["dim"]) % max(ctx.ndim(0), 1)
    return ctx.g.node("CumSum", [_in_output_dtype(ctx),
                                 ctx.g.initializer(np.array(axis, dtype=np.int64))])


@converts(ProdBlock)
def prod(ctx: OpContext) -> str:
    """``ReduceProd`` over the reduced axes."""
    axes = reduced_axes(ctx)
    x = _in_output_dtype(ctx)
    if not axes:
        return ctx.g.node("Identity", [x])
    return ctx.g.reduce("ReduceProd", x, axes, bool(ctx.hyper.get("keepdim", False)))


@converts(EinsumBlock)
def einsum(ctx: OpContext) -> str:
    """``Einsum`` with the equation written out explicitly (``...`` and an implicit output
    replaced by letters, as the block computes it)."""
    shapes = [ctx.shape(i) for i in range(len(ctx.op.inputs))]
    subs, out = _explicit(ctx.hyper["equation"], shapes)
    names = [ctx.input(i) for i in range(len(shapes))]
    return ctx.g.node("Einsum", names, equation=",".join(subs) + "->" + out)
