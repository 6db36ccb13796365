r"""Locally connected layers: the geometry of a convolution with unshared weights.

Each output position has its own filter (lecture: "Locally Connected Layer", between the fully
connected layer and the convolutional one): sparse interactions without parameter sharing.
PyTorch has no such layer; the blocks are checked against naive loops.

Weight layout ``(H_o, W_o, O, C, k_h, k_w)``: for each output position a convolution-shaped
filter bank ``(O, C, k_h, k_w)``. Bias ``(O, H_o, W_o)``, so it broadcasts against the NCHW
output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.conv import (
    Needs,
    batched,
    check_float,
    merge_needs,
    needs_input_grad,
)
from nnblocks.functional.im2col import (
    Window,
    as_tuple,
    col2im,
    conv_padding,
    conv_window,
    crop,
    im2col,
    pad_input,
)

Array = np.ndarray


def local_setup(x: Array, weight: Array, bias: Array | None, stride: Any, padding: Any,
                dims: int, who: str) -> tuple[Array, bool, Window]:
    """Validate a locally connected layer's arrays; batched input, unbatched flag, window."""
    check_float(who, "input", x)
    x, unbatched = batched(x, dims, who, "(N, C, L)" if dims == 1 else "(N, C, H, W)")
    check_float(who, "weight", weight, x.dtype)
    layout = "(L_out, out_channels, in_channels, k)" if dims == 1 else \
        "(H_out, W_out, out_channels, in_channels, kH, kW)"
    if weight.ndim != 2 * dims + 2:
        raise ValueError(f"{who}: weight must be {2 * dims + 2}-D {layout}, "
                         f"got shape {weight.shape}")
    out_pos, (c_out, c_in), kernel = weight.shape[:dims], weight.shape[dims:dims + 2], \
        weight.shape[dims + 2:]
    if x.shape[1] != c_in:
        raise ValueError(f"{who}: input has {x.shape[1]} channels, weight expects {c_in} "
                         f"(weight {weight.shape})")
    if bias is not None:
        check_float(who, "bias", bias, x.dtype)
        if bias.shape != (c_out, *out_pos):
            raise ValueError(f"{who}: bias must have shape {(c_out, *out_pos)} for weight "
                             f"{weight.shape}, got {bias.shape}")
    strides = as_tuple(stride, dims, "stride", who)
    pads = conv_padding(padding, kernel, strides, (1,) * dims, who)
    win = conv_window(x.shape[2:], kernel, strides, pads, (1,) * dims, who)
    got = win.out_size[2 - dims:]
    if got != tuple(out_pos):
        raise ValueError(
            f"{who}: input of spatial size {tuple(x.shape[2:])} gives {got} output positions, "
            f"but the weight {weight.shape} was built for {tuple(out_pos)} (check input_size)"
        )
    return x, unbatched, win


def local_forward(x: Array, w6: Array, b3: Array | None, win: Window) -> tuple[Array, Array]:
    """``y[n, o, i, j] = b[o, i, j] + Σ W[i, j, o, c, a, b'] x_p[n, c, i s_h + a, j s_w + b']``
    as one batched matmul over the ``H_o W_o`` positions; returns y and the per-position
    columns ``(H_o W_o, C k_h k_w, N)``."""
    ho, wo, o = w6.shape[:3]
    n = x.shape[0]
    cols = im2col(pad_input(x, win.pads), win)                    # (C, kh, kw, N, Ho, Wo)
    cols_l = np.ascontiguousarray(
        cols.reshape(-1, n, ho * wo).transpose(2, 0, 1))          # (L, C kh kw, N)
    y_l = np.matmul(w6.reshape(ho * wo, o, -1), cols_l)           # (L, O, N)
    y_t = y_l.reshape(ho, wo, o, n).transpose(3, 2, 0, 1)         # (N, O, Ho, Wo) view
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    if b3 is None:
        np.copyto(y, y_t)
    else:
        np.add(y_t, b3, out=y)
    return y, cols_l


def local_backward(gy: Array, cols_l: Array | None, w6: Array, win: Window,
                   needs: Needs) -> tuple[Array | None, Array | None, Array | None]:
    """``(g_x, g_W, g_b)``: per position :math:`g_{W_l} = G_l X_l^\\top`,
    :math:`g_{X_l} = W_l^\\top G_l`, then col2im; :math:`g_b = \\sum_n g_y`."""
    ho, wo, o = w6.shape[:3]
    n = gy.shape[0]
    gy_l = np.ascontiguousarray(gy.transpose(2, 3, 1, 0)).reshape(ho * wo, o, n)  # (L, O, N)
    gx = gw = gb = None
    if needs[2]:
        gb = gy.sum(axis=0)                                       # (O, Ho, Wo)
    if needs[1]:
        gw = np.matmul(gy_l, cols_l.transpose(0, 2, 1)).reshape(w6.shape)  # (L, O, C kh kw)
    if needs[0]:
        w_l = w6.reshape(ho * wo, o, -1)                          # (L, O, C kh kw)
        gcols_l = np.matmul(w_l.transpose(0, 2, 1), gy_l)         # (L, C kh kw, N)
        c = w6.shape[3]
        gcols = gcols_l.transpose(1, 2, 0).reshape(c, *win.kernel, n, ho, wo)
        gx = crop(col2im(gcols, win), win.pads, win.in_size)      # (N, C, H, W)
    return gx, gw, gb


_MATH = r"""
    .. math::
        y[n, o, i, j] = b[o, i, j] + \sum_{c, a, b'} W[i, j, o, c, a, b']\,
            x_p[n, c, i s_h + a, j s_w + b']

    For each output position :math:`l = (i, j)`, with its columns
    :math:`X_l \in \mathbb R^{C k_h k_w \times N}` and filters :math:`W_l (O, C k_h k_w)`,
    :math:`Y_l = W_l X_l` (one batched matmul over all :math:`l`). Backward:

    .. math::
        g_{W_l} = G_l X_l^\top, \qquad g_{X_l} = W_l^\top G_l \;\to\; g_x =
        \mathrm{col2im}(g_X), \qquad g_b[o, i, j] = \sum_n g_y[n, o, i, j]
"""


class LocallyConnected2dBlock(Block):
    __doc__ = r"""2-D locally connected layer (unshared convolution), stride and zero padding.
    """ + _MATH + r"""
    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; W: ``(H_o, W_o, O, C, k_h, k_w)``;
        b: ``(O, H_o, W_o)`` or None; y: ``(N, O, H_o, W_o)``.
    """

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None, *, stride: Any = 1,
                padding: Any = 0, needs_input_grad: Needs = (True, True, True),
                who: str = "locally_connected2d") -> tuple[Array, tuple]:
        x4, unbatched, win = local_setup(x, weight, bias, stride, padding, 2, who)
        y, cols_l = local_forward(x4, weight, bias, win)
        saved = (cols_l if needs_input_grad[1] else None, weight, win, needs_input_grad,
                 unbatched)
        return (y[0] if unbatched else y), saved

    wants_needs_grad = True

    @staticmethod
    def backward(saved: tuple, gy: Array,
                 needs_grad: tuple[bool, ...] | None = None) -> tuple[Array | None, ...]:
        cols_l, weight, win, needs, unbatched = saved
        needs = merge_needs(needs, needs_grad)
        gx, gw, gb = local_backward(gy[None] if unbatched else gy, cols_l, weight, win, needs)
        if unbatched and gx is not None:
            gx = gx[0]
        return gx, gw, gb


class LocallyConnected1dBlock(Block):
    __doc__ = r"""1-D locally connected layer, run as a 2-D one of height 1.
    """ + _MATH + r"""
    Shapes:
        x: ``(N, C, L)`` or ``(C, L)``; W: ``(L_o, O, C, k)``; b: ``(O, L_o)`` or None;
        y: ``(N, O, L_o)``.
    """

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None, *, stride: Any = 1,
                padding: Any = 0, needs_input_grad: Needs = (True, True, True),
                who: str = "locally_connected1d") -> tuple[Array, tuple]:
        x3, unbatched, win = local_setup(x, weight, bias, stride, padding, 1, who)
        w6 = weight[None, :, :, :, None, :]                       # (1, Lo, O, C, 1, k)
        b3 = None if bias is None else bias[:, None, :]           # (O, 1, Lo)
        y, cols_l = local_forward(x3[:, :, None], w6, b3, win)    # (N, O, 1, Lo)
        y = y[:, :, 0]
        saved = (cols_l if needs_input_grad[1] else None, w6, win, needs_input_grad,
                 unbatched)
        return (y[0] if unbatched else y), saved

    wants_needs_grad = True

    @staticmethod
    def backward(saved: tuple, gy: Array,
                 needs_grad: tuple[bool, ...] | None = None) -> tuple[Array | None, ...]:
        cols_l, w6, win, needs, unbatched = saved
        needs = merge_needs(needs, needs_grad)
        gy4 = (gy[None] if unbatched else gy)[:, :, None]         # (N, O, 1, Lo)
        gx, gw, gb = local_backward(gy4, cols_l, w6, win, needs)
        if gx is not None:
            gx = gx[0, :, 0] if unbatched else gx[:, :, 0]
        if gw is not None:
            gw = gw[0, :, :, :, 0, :]                             # (Lo, O, C, k)
        if gb is not None:
            gb = gb[:, 0]                                         # (O, Lo)
        return gx, gw, gb


def locally_connected2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                        padding: Any = 0, *, who: str = "locally_connected2d") -> Tensor:
    """2-D locally connected layer (:class:`LocallyConnected2dBlock`); weight
    ``(H_o, W_o, O, C, k_h, k_w)``, bias ``(O, H_o, W_o)``."""
    return LocallyConnected2dBlock.apply(input, weight, bias, stride=stride, padding=padding,
                                    needs_input_grad=needs_input_grad(input, weight, bias),
                                    who=who)


def locally_connected1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                        padding: Any = 0, *, who: str = "locally_connected1d") -> Tensor:
    """1-D locally connected layer (:class:`LocallyConnected1dBlock`); weight ``(L_o, O, C, k)``,
    bias ``(O, L_o)``."""
    return LocallyConnected1dBlock.apply(input, weight, bias, stride=stride, padding=padding,
                                    needs_input_grad=needs_input_grad(input, weight, bias),
                                    who=who)
