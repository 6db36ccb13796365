"""Normalization: BatchNorm with running statistics as ``BatchNormalization``; BatchNorm with
batch statistics (``track_running_stats=False``) and GroupNorm decomposed; LayerNorm as
``LayerNormalization`` (opset 17).

GroupNorm is ``InstanceNormalization`` of the input reshaped to ``(N, G, -1)`` (one group per
"channel"), reshaped back and scaled per channel: the same statistics as nnblocks' blocks.
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional import norm
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


def _per_channel(ctx: OpContext, i: int, fill: float) -> str:
    """Input ``i`` (a per-channel weight or bias), or a constant ``fill`` when it is None."""
    name = ctx.input(i)
    if name is not None:
        return name
    channels = ctx.shape(0)[1]
    return ctx.g.initializer(np.full(channels, fill, dtype=ctx.dtype(0)))


def _channel_affine(ctx: OpContext, y: str, weight: int, bias: int) -> str:
    """``y * weight + bias`` with per-channel (axis 1) parameters, each skipped when None."""
    g = ctx.g
    trailing = [1] * (ctx.ndim(0) - 2)
    if ctx.input(weight) is not None:
        y = g.node("Mul", [y, g.reshape(ctx.input(weight), [-1, *trailing])])
    if ctx.input(bias) is not None:
        y = g.node("Add", [y, g.reshape(ctx.input(bias), [-1, *trailing])])
    return y


@converts(norm.BatchNormEvalBlock)
def batch_norm_eval(ctx: OpContext) -> str:
    """Inputs ``(x, running_mean, running_var, weight, bias)``."""
    return ctx.g.node(
        "BatchNormalization",
        [ctx.input(0), _per_channel(ctx, 3, 1.0), _per_channel(ctx, 4, 0.0), ctx.input(1),
         ctx.input(2)],
        epsilon=float(ctx.hyper.get("eps", 1e-5)),
    )


@converts(norm.BatchNormBlock)
def batch_norm(ctx: OpContext) -> list[str]:
    r"""Batch statistics (a BatchNorm without running statistics, in eval mode too):
    :math:`\mu, \sigma^2` over all axes but the channels (biased variance); outputs
    ``(y, mean, var)``."""
    g = ctx.g
    x = ctx.input(0)
    axes = [0] + list(range(2, ctx.ndim(0)))
    mean = g.reduce("ReduceMean", x, axes, True)                       # (1, C, 1...)
    centered = g.node("Sub", [x, mean])
    var = g.reduce("ReduceMean", g.node("Mul", [centered, centered]), axes, True)
    eps = g.scalar(float(ctx.hyper.get("eps", 1e-5)), ctx.dtype(0))
    y = g.node("Div", [centered, g.node("Sqrt", [g.node("Add", [var, eps])])])
    y = _channel_affine(ctx, y, 1, 2)
    return [y, g.reshape(mean, [-1]), g.reshape(var, [-1])]


@converts(norm.GroupNormBlock)
def group_norm(ctx: OpContext) -> str:
    g = ctx.g
    x = ctx.input(0)
    groups = int(ctx.hyper["num_groups"])
    dtype = ctx.dtype(0)
    grouped = g.reshape(x, [0, groups, -1])                            # (N, G, m)
    normed = g.node("InstanceNormalization",
                    [grouped, g.initializer(np.ones(groups, dtype)),
                     g.initializer(np.zeros(groups, dtype))],
                    epsilon=float(ctx.hyper.get("eps", 1e-5)))
    y = g.node("Reshape", [normed, g.node("Shape", [x])])               # (N, C, *)
    return _channel_affine(ctx, y, 1, 2)


@converts(norm.LayerNormBlock)
def layer_norm(ctx: OpContext) -> str:
    """``LayerNormalization`` over the last ``len(normalized_shape)`` axes."""
    shape = tuple(ctx.hyper["normalized_shape"])
    weight = ctx.input(1)
    if weight is None:
        weight = ctx.g.initializer(np.ones(shape, dtype=ctx.dtype(0)))
    return ctx.g.node("LayerNormalization", [ctx.input(0), weight, ctx.input(2)],
                      axis=-len(shape), epsilon=float(ctx.hyper.get("eps", 1e-5)))
