"""Padding by reflection / replication / wrap-around and interpolation: each is a gather along
each spatial axis at constant source positions (and, for the linear modes, a weighted sum of
two gathers), which ONNX's ``Gather``, ``Mul`` and ``Add`` reproduce exactly. The positions
depend only on the spatial sizes, never on the batch."""

from __future__ import annotations

import numpy as np

from nnblocks.functional.interpolate import InterpolateLinearBlock, InterpolateNearestBlock
from nnblocks.functional.padding import CircularPadBlock, ReflectionPadBlock, ReplicationPadBlock
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


@converts(ReflectionPadBlock, ReplicationPadBlock, CircularPadBlock)
def index_pad(ctx: OpContext) -> str:
    block = ctx.op.block
    pad = [int(p) for p in ctx.hyper["pad"]]
    shape = ctx.shape(0)
    y = ctx.input(0)
    for i in range(len(pad) // 2):
        axis = len(shape) - 1 - i
        source = block.source(shape[axis], pad[2 * i], pad[2 * i + 1])
        y = ctx.g.node("Gather", [y, ctx.g.ints(source)], axis=axis)
    return y


@converts(InterpolateNearestBlock)
def nearest(ctx: OpContext) -> str:
    y = ctx.input(0)
    for k, source in enumerate(ctx.hyper["sources"]):
        y = ctx.g.node("Gather", [y, ctx.g.ints(source)], axis=2 + k)
    return y


@converts(InterpolateLinearBlock)
def linear(ctx: OpContext) -> str:
    y = ctx.input(0)
    ndim = ctx.ndim(0)
    dtype = ctx.dtype(0)
    for k, (i0, i1, lam) in enumerate(ctx.hyper["taps"]):
        axis = 2 + k
        view = [1] * ndim
        view[axis] = len(lam)
        w = np.asarray(lam, dtype=dtype).reshape(view)
        low = ctx.g.node("Gather", [y, ctx.g.ints(i0)], axis=axis)
        high = ctx.g.node("Gather", [y, ctx.g.ints(i1)], axis=axis)
        low = ctx.g.node("Mul", [low, ctx.g.initializer(1 - w)])
        high = ctx.g.node("Mul", [high, ctx.g.initializer(w)])
        y = ctx.g.node("Add", [low, high])
    return y
