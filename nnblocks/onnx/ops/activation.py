"""Activations: Sigmoid, Tanh, Relu, LeakyRelu, Elu are ONNX operators; Softplus (with beta and
threshold), GELU (exact with Erf, or the tanh approximation) and maxout are decomposed so they
run at opset 17 and give nnblocks' values."""

from __future__ import annotations

import math

from nnblocks.functional import activation as act
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


@converts(act.SigmoidBlock)
def sigmoid(ctx: OpContext) -> str:
    return ctx.g.node("Sigmoid", [ctx.input(0)])


@converts(act.TanhBlock)
def tanh(ctx: OpContext) -> str:
    return ctx.g.node("Tanh", [ctx.input(0)])


@converts(act.ReLUBlock)
def relu(ctx: OpContext) -> str:
    return ctx.g.node("Relu", [ctx.input(0)])


@converts(act.LeakyReLUBlock)
def leaky_relu(ctx: OpContext) -> str:
    return ctx.g.node("LeakyRelu", [ctx.input(0)],
                      alpha=float(ctx.hyper.get("negative_slope", 0.01)))


@converts(act.ELUBlock)
def elu(ctx: OpContext) -> str:
    return ctx.g.node("Elu", [ctx.input(0)], alpha=float(ctx.hyper.get("alpha", 1.0)))


@converts(act.SoftplusBlock)
def softplus(ctx: OpContext) -> str:
    r""":math:`y = x` where :math:`\beta x >` threshold, else
    :math:`\mathrm{Softplus}(\beta x) / \beta` (PyTorch's definition)."""
    g = ctx.g
    x = ctx.input(0)
    dtype = ctx.dtype(0)
    beta = float(ctx.hyper.get("beta", 1.0))
    threshold = float(ctx.hyper.get("threshold", 20.0))
    z = x if beta == 1.0 else g.node("Mul", [x, g.scalar(beta, dtype)])
    soft = g.node("Softplus", [z])
    if beta != 1.0:
        soft = g.node("Div", [soft, g.scalar(beta, dtype)])
    linear = g.node("Greater", [z, g.scalar(threshold, dtype)])
    return g.node("Where", [linear, x, soft])


@converts(act.GELUBlock)
def gelu(ctx: OpContext) -> str:
    r"""Exact: :math:`x \cdot \tfrac12 (1 + \mathrm{erf}(x / \sqrt2))`; ``'tanh'``:
    :math:`\tfrac12 x (1 + \tanh(\sqrt{2/\pi} (x + 0.044715 x^3)))` (Hendrycks & Gimpel)."""
    g = ctx.g
    x = ctx.input(0)
    dtype = ctx.dtype(0)
    half = g.scalar(0.5, dtype)
    one = g.scalar(1.0, dtype)
    if ctx.hyper.get("approximate", "none") == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715, dtype)])])
        t = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2.0 / math.pi), dtype)])])
    else:
        t = g.node("Erf", [g.node("Mul", [x, g.scalar(math.sqrt(0.5), dtype)])])
    return g.node("Mul", [g.node("Mul", [x, half]), g.node("Add", [t, one])])


@converts(act.SoftmaxBlock)
def softmax(ctx: OpContext) -> str:
    return ctx.g.node("Softmax", [ctx.input(0)], axis=int(ctx.hyper["dim"]))


@converts(act.LogSoftmaxBlock)
def log_softmax(ctx: OpContext) -> str:
    return ctx.g.node("LogSoftmax", [ctx.input(0)], axis=int(ctx.hyper["dim"]))


@converts(act.MaxoutBlock)
def maxout(ctx: OpContext) -> str:
    """The maximum over the pieces axis: ``ReduceMax(keepdims=0)``."""
    return ctx.g.reduce("ReduceMax", ctx.input(0), [int(ctx.hyper.get("dim", -1))], False)
