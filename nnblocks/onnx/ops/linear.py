"""Fully connected blocks: Linear as Gemm (2-D input) or MatMul + Add, maxout units as one
MatMul + Reshape + ReduceMax, the perceptron's step as MatMul + Greater + Where.

The weights stay initializers in nnblocks' layout (``(out, in)``); a Transpose of an initializer
is folded by any runtime, and :func:`nnblocks.onnx.load_weights` can read them back as they are.
"""

from __future__ import annotations

from nnblocks.functional.linear import LinearBlock, MaxoutLinearBlock, PerceptronBlock
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


@converts(LinearBlock)
def linear(ctx: OpContext) -> str:
    r""":math:`y = x W^\top + b`: ``Gemm(transB=1)`` for ``(N, in)`` inputs, else
    ``MatMul(x, Transpose(W)) + b``."""
    g = ctx.g
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2)
    if ctx.ndim(0) == 2:
        return g.node("Gemm", [x, w, b], transB=1)
    y = g.node("MatMul", [x, g.transpose(w, [1, 0])])
    return y if b is None else g.node("Add", [y, b])


@converts(MaxoutLinearBlock)
def maxout_linear(ctx: OpContext) -> str:
    r""":math:`y_o = \max_j (w_{oj}^\top x + b_{oj})`: the ``out·k`` affine maps as one MatMul
    with the weight reshaped to ``(out·k, in)``, then Reshape ``(*, out, k)`` and ReduceMax over
    the pieces."""
    g = ctx.g
    out, k, d = ctx.shape(1)
    x = ctx.input(0)
    w = g.transpose(g.reshape(ctx.input(1), [out * k, d]), [1, 0])      # (in, out k)
    z = g.node("MatMul", [x, w])                                        # (*, out k)
    b = ctx.input(2)
    if b is not None:
        z = g.node("Add", [z, g.reshape(b, [out * k])])
    lead = [0] * (ctx.ndim(0) - 1)                                      # keep leading axes
    z = g.reshape(z, lead + [out, k])                                   # (*, out, k)
    return g.reduce("ReduceMax", z, [-1], False)                        # (*, out)


@converts(PerceptronBlock)
def perceptron(ctx: OpContext) -> str:
    """+1 where ``x·w + b > threshold``, else -1."""
    g = ctx.g
    dtype = ctx.dtype(0)
    a = g.node("MatMul", [ctx.input(0), ctx.input(1)])
    b = ctx.input(2)
    if b is not None:
        a = g.node("Add", [a, b])
    fires = g.node("Greater", [a, g.scalar(float(ctx.hyper.get("threshold", 0.0)), dtype)])
    return g.node("Where", [fires, g.scalar(1.0, dtype), g.scalar(-1.0, dtype)])
