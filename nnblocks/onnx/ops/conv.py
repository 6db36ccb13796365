"""Convolutions as ONNX ``Conv``; locally connected layers as an equivalent decomposition.

A locally connected layer has one filter bank per output position, which no ONNX operator
expresses. It is computed as: a ``Conv`` with a constant one-hot kernel that copies each
receptive field into channels (the im2col patches, ``(N, C k, L)`` for ``L`` output positions),
then one batched ``MatMul`` of the ``L`` patch matrices with the ``L`` filter banks, and the
bias. The kernel's channel order ``(c, a, b)`` is the weight's, so the weight is only reshaped.
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional import conv as conv_blocks
from nnblocks.functional import local
from nnblocks.functional.conv_transpose import ConvTranspose2dBlock
from nnblocks.functional.im2col import as_tuple, conv_padding
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


def onnx_pads(pairs: tuple[tuple[int, int], ...]) -> list[int]:
    """``((b1, e1), (b2, e2))`` -> ONNX's ``[b1, b2, e1, e2]``."""
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def batched_input(ctx: OpContext, dims: int) -> tuple[str, bool]:
    """The input with a batch axis (unbatched ``(C, *)`` gets one) and whether it lacked one."""
    x = ctx.input(0)
    if ctx.ndim(0) == dims + 1:
        return ctx.g.unsqueeze(x, [0]), True
    return x, False


def _unbatch(ctx: OpContext, y: str, unbatched: bool) -> str:
    return ctx.g.squeeze(y, [0]) if unbatched else y


@converts(conv_blocks.Conv1dBlock, conv_blocks.Conv2dBlock)
def conv(ctx: OpContext) -> str:
    """``Conv`` with nnblocks' stride, padding (ints, ``'same'``, ``'valid'``), dilation and
    groups; the weight layout ``(O, C/groups, *k)`` is ONNX's."""
    dims = 1 if ctx.op.block is conv_blocks.Conv1dBlock else 2
    kernel = ctx.shape(1)[2:]
    who = ctx.name
    strides = as_tuple(ctx.hyper.get("stride", 1), dims, "stride", who)
    dilations = as_tuple(ctx.hyper.get("dilation", 1), dims, "dilation", who)
    pads = conv_padding(ctx.hyper.get("padding", 0), kernel, strides, dilations, who)
    x, unbatched = batched_input(ctx, dims)
    y = ctx.g.node("Conv", [x, ctx.input(1), ctx.input(2)], kernel_shape=list(kernel),
                   strides=list(strides), dilations=list(dilations), pads=onnx_pads(pads),
                   group=int(ctx.hyper.get("groups", 1)))
    return _unbatch(ctx, y, unbatched)


@converts(ConvTranspose2dBlock)
def conv_transpose(ctx: OpContext) -> str:
    """``ConvTranspose`` with stride, padding, output padding, dilation and groups; the weight
    layout ``(C_in, C_out/groups, *k)`` is ONNX's. (``ConvTranspose1d`` reaches here as the
    2-D block between an Unsqueeze and a Squeeze.)"""
    kernel = ctx.shape(1)[2:]
    who = ctx.name
    strides = as_tuple(ctx.hyper.get("stride", 1), 2, "stride", who)
    dilations = as_tuple(ctx.hyper.get("dilation", 1), 2, "dilation", who)
    extra = as_tuple(ctx.hyper.get("output_padding", 0), 2, "output_padding", who, minimum=0)
    pads = [list(p) for p in conv_padding(ctx.hyper.get("padding", 0), kernel, strides,
                                          dilations, who)]
    # ONNX Runtime takes output_padding < stride only; PyTorch allows it up to the dilation.
    # Larger ones: the first `end padding` extra positions come from cropping less at the end,
    # the rest lie beyond every kernel footprint (bias only), added by a zero Pad.
    tail = [0, 0]
    for a in range(2):
        if extra[a] >= strides[a]:
            used = min(extra[a], pads[a][1])
            pads[a][1] -= used
            tail[a] = extra[a] - used
            extra = extra[:a] + (0,) + extra[a + 1:]
    g = ctx.g
    x, unbatched = batched_input(ctx, 2)
    bias = ctx.input(2)
    y = g.node("ConvTranspose", [x, ctx.input(1), None if any(tail) else bias],
               kernel_shape=list(kernel), strides=list(strides), dilations=list(dilations),
               pads=onnx_pads(tuple(tuple(p) for p in pads)), output_padding=list(extra),
               group=int(ctx.hyper.get("groups", 1)))
    if any(tail):
        y = g.node("Pad", [y, g.ints([0, 0, 0, 0, 0, 0, tail[0], tail[1]])])
        if bias is not None:
            y = g.node("Add", [y, g.reshape(bias, [-1, 1, 1])])
    return _unbatch(ctx, y, unbatched)


def patch_kernel(channels: int, kernel: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """One-hot ``(C prod(k), C, *k)``: output channel ``(c, a, b)`` copies input ``c`` at
    kernel offset ``(a, b)``."""
    size = int(np.prod(kernel))
    eye = np.eye(channels * size, dtype=dtype)                     # (C K, C K)
    return eye.reshape(channels * size, channels, *kernel)


@converts(local.LocallyConnected1dBlock, local.LocallyConnected2dBlock)
def locally_connected(ctx: OpContext) -> str:
    r""":math:`y[n, o, l] = b[o, l] + \sum_k W[l, o, k]\, X[n, k, l]` with the patches
    :math:`X` from a one-hot ``Conv`` (see the module docstring)."""
    g = ctx.g
    dims = 1 if ctx.op.block is local.LocallyConnected1dBlock else 2
    w_shape = ctx.shape(1)                        # (*L_o, O, C, *k)
    out_pos, (c_out, c_in), kernel = w_shape[:dims], w_shape[dims:dims + 2], w_shape[dims + 2:]
    who = ctx.name
    strides = as_tuple(ctx.hyper.get("stride", 1), dims, "stride", who)
    pads = conv_padding(ctx.hyper.get("padding", 0), kernel, strides, (1,) * dims, who)
    positions = int(np.prod(out_pos))
    patch = c_in * int(np.prod(kernel))
    x, unbatched = batched_input(ctx, dims)
    eye = g.initializer(patch_kernel(c_in, kernel, ctx.dtype(1)))
    cols = g.node("Conv", [x, eye], kernel_shape=list(kernel), strides=list(strides),
                  pads=onnx_pads(pads))                                # (N, C K, *L_o)
    cols = g.reshape(cols, [0, patch, positions])                       # (N, C K, L)
    cols = g.transpose(cols, [2, 0, 1])                                 # (L, N, C K)
    w = g.reshape(ctx.input(1), [positions, c_out, patch])              # (L, O, C K)
    w = g.transpose(w, [0, 2, 1])                                       # (L, C K, O)
    y = g.node("MatMul", [cols, w])                                     # (L, N, O)
    y = g.transpose(y, [1, 2, 0])                                       # (N, O, L)
    y = g.reshape(y, [0, c_out, *out_pos])                              # (N, O, *L_o)
    b = ctx.input(2)
    if b is not None:
        y = g.node("Add", [y, b])                                       # b: (O, *L_o)
    return _unbatch(ctx, y, unbatched)
