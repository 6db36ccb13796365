"""Pooling: ``MaxPool`` and ``AveragePool`` with PyTorch's geometry; adaptive pooling
decomposed per axis (it is separable).

PyTorch's ``ceil_mode`` windows are expressed as explicit end padding, so no runtime's own
ceil-mode rule is relied on. Average pooling pads with zeros and divides by the kernel size,
then a constant factor turns that into PyTorch's divisor where windows are clipped
(``count_include_pad=False``, ceil-mode overhang, ``divisor_override``).

Adaptive average pooling is a product with each axis's bin matrix (``A x B^T``); adaptive max
pooling is a ReduceMax per bin and axis, concatenated.
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional import adaptive_pool as adaptive
from nnblocks.functional import pool
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.ops.conv import batched_input
from nnblocks.onnx.registry import converts

_DIMS = {pool.MaxPool1dBlock: 1, pool.MaxPool2dBlock: 2,
         pool.AvgPool1dBlock: 1, pool.AvgPool2dBlock: 2,
         adaptive.AdaptiveAvgPool1dBlock: 1, adaptive.AdaptiveAvgPool2dBlock: 2,
         adaptive.AdaptiveMaxPool1dBlock: 1, adaptive.AdaptiveMaxPool2dBlock: 2}


def _window(ctx: OpContext, dims: int, dilation: object = 1) -> tuple[list, list, list, list,
                                                                      object]:
    """ONNX kernel_shape, strides, dilations, pads of a pooling block, and its Window."""
    h = ctx.hyper
    win = pool.pool_window(ctx.shape(0)[-dims:], h["kernel_size"], h.get("stride"),
                           h.get("padding", 0), dilation, bool(h.get("ceil_mode", False)),
                           ctx.name)
    top, bottom, left, right = win.pads
    begin, end = [top, left], [max(bottom, 0), max(right, 0)]
    if dims == 1:                                   # the lifted 2-D window: keep the width
        return ([win.kernel[1]], [win.stride[1]], [win.dilation[1]], [begin[1], end[1]], win)
    return list(win.kernel), list(win.stride), list(win.dilation), begin + end, win


def _no_indices(ctx: OpContext) -> None:
    if ctx.hyper.get("return_indices", False):
        raise ctx.error("return_indices=True has no ONNX export (indices are a training aid)")


def _padded(ctx: OpContext, kernel: list, pads: list, value: float) -> tuple[str, list, bool]:
    """The input (with a batch axis) and the pads to give the pooling node, and whether the
    input had no batch axis. ONNX Runtime refuses a pad as large as the kernel (which
    dilation or ceil mode can need), so such pads become a Pad node."""
    dims = len(kernel)
    x, unbatched = batched_input(ctx, dims)
    if all(p < k for p, k in zip(pads, kernel + kernel)):
        return x, pads, unbatched
    lead = [0, 0]                                   # batch and channels
    everywhere = lead + pads[:dims] + lead + pads[dims:]
    fill = ctx.g.scalar(value, ctx.dtype(0))
    x = ctx.g.node("Pad", [x, ctx.g.ints(everywhere), fill], mode="constant")
    return x, [0] * 2 * dims, unbatched


@converts(pool.MaxPool1dBlock, pool.MaxPool2dBlock)
def max_pool(ctx: OpContext) -> str:
    _no_indices(ctx)
    dims = _DIMS[ctx.op.block]
    kernel, strides, dilations, pads, _ = _window(ctx, dims, ctx.hyper.get("dilation", 1))
    x, pads, unbatched = _padded(ctx, kernel, pads, -np.inf)
    y = ctx.g.node("MaxPool", [x], kernel_shape=kernel, strides=strides, dilations=dilations,
                   pads=pads)
    return ctx.g.squeeze(y, [0]) if unbatched else y


@converts(pool.AvgPool1dBlock, pool.AvgPool2dBlock)
def avg_pool(ctx: OpContext) -> str:
    g = ctx.g
    dims = _DIMS[ctx.op.block]
    kernel, strides, _, pads, win = _window(ctx, dims)
    x, pads, unbatched = _padded(ctx, kernel, pads, 0.0)
    y = g.node("AveragePool", [x], kernel_shape=kernel, strides=strides, pads=pads,
               count_include_pad=1)                                   # sum / prod(kernel)
    if unbatched:
        y = g.squeeze(y, [0])
    h = ctx.hyper
    divisor = pool.avg_divisor(win, bool(h.get("count_include_pad", True)),
                               h.get("divisor_override"), ctx.dtype(0))
    size = float(np.prod(kernel))
    if isinstance(divisor, float):
        if divisor == size:
            return y
        return g.node("Mul", [y, g.scalar(size / divisor, ctx.dtype(0))])
    factor = (size / divisor.astype(np.float64)).astype(ctx.dtype(0))  # (Ho, Wo)
    if dims == 1:
        factor = factor.reshape(-1)                                     # (Lo,)
    return g.node("Mul", [y, g.initializer(factor)])


@converts(adaptive.AdaptiveAvgPool1dBlock, adaptive.AdaptiveAvgPool2dBlock)
def adaptive_avg_pool(ctx: OpContext) -> str:
    """``A x B^T`` over the last two axes (the last axis only in 1-D), ``A (H_o, H)`` and
    ``B (W_o, W)`` the bin matrices of each axis."""
    g = ctx.g
    dims = _DIMS[ctx.op.block]
    sizes = ctx.shape(0)[-dims:]
    out = adaptive.output_pair(ctx.hyper["output_size"], sizes, ctx.name)
    y = ctx.input(0)
    n, m = sizes[-1], out[-1]                                           # last axis: x B^T
    if n != m:
        b = adaptive.bin_matrix(n, m, ctx.dtype(0))                     # (W_o, W)
        y = g.node("MatMul", [y, g.initializer(np.ascontiguousarray(b.T))])
    if dims == 2 and sizes[0] != out[0]:                                # rows: A x
        a = adaptive.bin_matrix(sizes[0], out[0], ctx.dtype(0))         # (H_o, H)
        y = g.node("MatMul", [g.initializer(a), y])
    return y if y != ctx.input(0) else g.node("Identity", [y])


@converts(adaptive.AdaptiveMaxPool1dBlock, adaptive.AdaptiveMaxPool2dBlock)
def adaptive_max_pool(ctx: OpContext) -> str:
    """Per axis, ReduceMax over each bin ``[floor(i n/m), ceil((i+1) n/m))``, concatenated."""
    _no_indices(ctx)
    g = ctx.g
    dims = _DIMS[ctx.op.block]
    sizes = ctx.shape(0)[-dims:]
    out = adaptive.output_pair(ctx.hyper["output_size"], sizes, ctx.name)
    y = ctx.input(0)
    for k, (n, m) in enumerate(zip(sizes, out)):
        axis = k - dims                                                 # -2, -1 or -1
        if n == m:
            continue
        starts, ends = adaptive.adaptive_bins(n, m)
        pieces = [g.reduce("ReduceMax", g.slice(y, [s], [e], [axis]), [axis], True)
                  for s, e in zip(starts, ends)]
        y = pieces[0] if m == 1 else g.node("Concat", pieces, axis=axis)
    return y if y != ctx.input(0) else g.node("Identity", [y])
