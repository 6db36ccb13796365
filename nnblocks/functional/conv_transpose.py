r"""Transposed convolution (``ConvTranspose1d``/``ConvTranspose2d``, "deconvolution").

A transposed convolution is the adjoint of a convolution: with the convolution
:math:`z = W \star u` (weight ``W`` of shape ``(C_in, C_out/groups, k_h, k_w)`` read as a
convolution from ``C_out`` to ``C_in`` channels, same stride, padding and dilation) it is

.. math::
    y = \Big(\frac{\partial z}{\partial u}\Big)^{\!\top} x + b,

i.e. the convolution's input gradient applied to ``x``. So the forward pass is
:func:`~nnblocks.functional.conv.conv2d_backward`'s :math:`g_x` (col2im of :math:`W^\top X`),
and the backward pass is a forward convolution:

.. math::
    g_x = W \star g_y, \qquad g_W = \text{the convolution's weight gradient with input } g_y
    \text{ and output gradient } x, \qquad g_b = \textstyle\sum_{n, i, j} g_y[n, :, i, j].

Output size per spatial axis: :math:`H_o = (H - 1) s - p_0 - p_1 + d (k - 1) + o_p + 1`, with
``output_padding`` :math:`o_p` (< stride or dilation) added at the end, as PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.conv import batched, check_float, conv2d_backward, conv2d_forward
from nnblocks.functional.im2col import as_tuple, conv_padding, conv_window
from nnblocks.functional.shape import squeeze, unsqueeze

Array = np.ndarray


def transpose_setup(x: Array, weight: Array, bias: Array | None, stride: Any, padding: Any,
                    output_padding: Any, dilation: Any, groups: int, who: str) -> tuple:
    """Validate; return the batched 4-D input, whether it was unbatched, and the window of the
    adjoint convolution (whose input is this block's output)."""
    check_float(who, "input", x)
    x, unbatched = batched(x, 2, who, "(N, C, H, W)")
    check_float(who, "weight", weight, x.dtype)
    if weight.ndim != 4:
        raise ValueError(f"{who}: weight must be 4-D (in_channels, out_channels/groups, kH, kW), "
                         f"got shape {weight.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    c_in, c_out = x.shape[1], weight.shape[1] * groups
    if c_in != weight.shape[0] or c_in % groups:
        raise ValueError(f"{who}: input has {c_in} channels, weight {weight.shape} expects "
                         f"{weight.shape[0]} (divisible by groups={groups})")
    if bias is not None:
        check_float(who, "bias", bias, x.dtype)
        if bias.shape != (c_out,):
            raise ValueError(f"{who}: bias must have shape ({c_out},), got {bias.shape}")
    kernel = weight.shape[2:]
    stride_t = as_tuple(stride, 2, "stride", who)
    dilation_t = as_tuple(dilation, 2, "dilation", who)
    extra = as_tuple(output_padding, 2, "output_padding", who, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride_t, dilation_t)):
        raise ValueError(f"{who}: output_padding {extra} must be smaller than either stride "
                         f"{stride_t} or dilation {dilation_t}")
    if isinstance(padding, str):
        raise ValueError(f"{who}: padding must be an int or a tuple, got {padding!r}")
    pads = conv_padding(padding, kernel, stride_t, dilation_t, who)
    out = tuple((n - 1) * s - lo - hi + d * (k - 1) + e + 1
                for n, s, (lo, hi), d, k, e in zip(x.shape[2:], stride_t, pads, dilation_t,
                                                   kernel, extra))
    if any(o <= 0 for o in out):
        raise ValueError(f"{who}: input of spatial size {x.shape[2:]} gives an output of size "
                         f"{out}; reduce the padding")
    win = conv_window(out, kernel, stride_t, pads, dilation_t, who)
    return x, unbatched, win


class ConvTranspose2dBlock(Block):
    r"""2-D transposed convolution with stride, padding, output padding, dilation and groups
    (the math: :mod:`nnblocks.functional.conv_transpose`).

    Shapes:
        x: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``; W: ``(C_in, C_out/groups, k_h,
        k_w)``; b: ``(C_out,)`` or None; y: ``(N, C_out, H_o, W_o)``.
    """

    takes_needs_input_grad = True

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None, *, stride: Any = 1,
                padding: Any = 0, output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                needs_input_grad: tuple = (True, True, True),
                who: str = "conv_transpose2d") -> tuple[Array, tuple]:
        x4, unbatched, win = transpose_setup(x, weight, bias, stride, padding, output_padding,
                                             dilation, groups, who)
        size = x4.shape[2:]
        if win.out_size != size:        # output_padding >= stride (allowed below the dilation):
            full = np.zeros((*x4.shape[:2], *win.out_size), dtype=x4.dtype)   # the adjoint
            full[:, :, :size[0], :size[1]] = x4             # conv has outputs x does not reach
            x4 = full
        y, _, _ = conv2d_backward(x4, None, weight, win, groups, (True, False, False))
        if bias is not None:
            y += bias.reshape(-1, 1, 1)                           # (N, C_out, Ho, Wo)
        saved = (x4 if needs_input_grad[1] else None, weight, win, groups, unbatched,
                 needs_input_grad, size)
        return (y[0] if unbatched else y), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array | None, Array | None, Array | None]:
        x4, weight, win, groups, unbatched, needs, size = saved
        gy4 = gy[None] if unbatched else gy                       # (N, C_out, Ho, Wo)
        gx = gw = gb = None
        if needs[0] or needs[1]:
            gx, cols = conv2d_forward(gy4, weight, None, win, groups)   # (N, C_in, H', W')
            gx = gx[:, :, :size[0], :size[1]]                     # (N, C_in, H, W)
            if needs[1]:
                _, gw, _ = conv2d_backward(x4, cols, weight, win, groups, (False, True, False))
            if not needs[0]:
                gx = None
            elif unbatched:
                gx = gx[0]
        if needs[2]:
            gb = gy4.sum(axis=(0, 2, 3))                          # (C_out,)
        return gx, gw, gb


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """``torch.nn.functional.conv_transpose2d`` (:class:`ConvTranspose2dBlock`); note
    PyTorch's argument order, ``groups`` before ``dilation``."""
    return ConvTranspose2dBlock.apply(input, weight, bias, stride=stride, padding=padding,
                                      output_padding=output_padding, dilation=dilation,
                                      groups=groups)


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """``torch.nn.functional.conv_transpose1d``: the 2-D block on a height-1 image (the
    reshapes are blocks, so gradients flow)."""
    x = unsqueeze(input, -2)                                      # (N, C, 1, L)
    w = unsqueeze(weight, -2)                                     # (C_in, C_out/g, 1, k)
    y = ConvTranspose2dBlock.apply(
        x, w, bias, stride=(1, _one(stride)), padding=(0, _one(padding)),
        output_padding=(0, _one(output_padding)), dilation=(1, _one(dilation)), groups=groups,
        who="conv_transpose1d")
    return squeeze(y, -2)


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
