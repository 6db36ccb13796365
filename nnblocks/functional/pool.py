r"""Max and average pooling over sliding windows (1-D and 2-D), with PyTorch's semantics.

A pooling function summarizes the neighbourhood of each location (lecture: "Pooling"). Windows
are those of :mod:`nnblocks.functional.im2col`; the loops here run over the :math:`k_h k_w`
kernel offsets, each step one NumPy call over every window at once (never a loop over pixels).

Output size along an axis of size :math:`n` (PyTorch's ``pooling_output_shape``):
:math:`n_o = \lfloor (n + 2p - d(k-1) - 1 + [\text{ceil}] (s - 1)) / s \rfloor + 1`, minus one
in ceil mode when the last window would start past the input and its left padding. A ceil-mode
window that overhangs the padded input only sees the elements that exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.conv import batched, check_float
from nnblocks.functional.im2col import Window, as_tuple, crop, lift_window, offset_slices, pad_input
from nnblocks.kernels import pool as kernel_pool
from nnblocks.kernels import pool_tiled as kernel_pool_tiled
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray


def pool_window(in_size: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any,
                dilation: Any, ceil_mode: bool, who: str) -> Window:
    """PyTorch's pooling geometry as a 2-D :class:`Window` (1-D lifted to height 1) whose
    bottom/right padding is what the windows actually read (ceil-mode overhang included)."""
    n = len(in_size)
    kernel = as_tuple(kernel_size, n, "kernel_size", who)
    no_stride = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    strides = kernel if no_stride else as_tuple(stride, n, "stride", who)
    pads = as_tuple(padding, n, "padding", who, minimum=0)
    dilations = as_tuple(dilation, n, "dilation", who)
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(f"{who}: padding {padding!r} should be at most half of kernel_size "
                         f"{kernel_size!r}")
    outs, pad_pairs = [], []
    for size, k, s, p, d in zip(in_size, kernel, strides, pads, dilations):
        out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1                                 # the last window must start inside
        if out < 1:
            raise ValueError(
                f"{who}: input of spatial size {_fmt(in_size)} is too small for kernel_size "
                f"{_fmt(kernel)} (padding {_fmt(pads)}, dilation {_fmt(dilations)}): "
                f"the output would have size {out}"
            )
        reach = (out - 1) * s + d * (k - 1) + 1      # padded length the windows read
        outs.append(out)
        pad_pairs.append((p, reach - size - p))      # may be < p: unread padding is not made
    return lift_window(kernel, strides, dilations, tuple(pad_pairs), tuple(in_size), tuple(outs))


def _fmt(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(t) == 1 else str(tuple(t))


def _pad(x: Array, win: Window, value: float) -> Array:
    """``x`` padded as the windows read it; negative bottom/right padding is a crop (a view)."""
    top, bottom, left, right = win.pads
    if bottom < 0 or right < 0:
        x = x[:, :, :x.shape[2] + min(bottom, 0), :x.shape[3] + min(right, 0)]
    return pad_input(x, (top, max(bottom, 0), left, max(right, 0)), value)


def _grad_buffer(gy: Array, win: Window) -> Array:
    """Zeroed gradient of the padded input, never smaller than the input itself."""
    top, bottom, left, right = win.pads
    h, w = win.in_size
    n, c = gy.shape[:2]
    return np.zeros((n, c, h + top + max(bottom, 0), w + left + max(right, 0)), dtype=gy.dtype)


def _unpad(gxp: Array, win: Window) -> Array:
    """The input's part of a padded gradient (a view; rows/columns never read stay zero)."""
    return crop(gxp, win.pads, win.in_size)


def _finish(y: Array, unbatched: bool, squeeze_height: bool) -> Array:
    if squeeze_height:
        y = y[:, :, 0]
    return y[0] if unbatched else y


def _setup(x: Array, dims: int, who: str) -> tuple[Array, bool]:
    check_float(who, "input", x)
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    x, unbatched = batched(x, dims, who, layout)
    return (x[:, :, None] if dims == 1 else x), unbatched


# ---------------------------------------------------------------------- max pooling
def max_pool_forward(x: Array, win: Window, track: bool) -> tuple[Array, Array | None]:
    """Running maximum over the kernel offsets, pairwise ``np.maximum`` on strided views.

    Returns ``y (N, C, H_o, W_o)`` and, when ``track``, ``arg`` (same shape, a small int): the
    row-major kernel offset of the first maximum of each window (PyTorch's choice on ties).
    """
    xp = _pad(x, win, -np.inf)                                    # (N, C, Hp, Wp)
    slices = list(offset_slices(win))
    _, rows, cols = slices[0]
    y = np.array(xp[:, :, rows, cols])                            # (N, C, Ho, Wo)
    arg = step = wins = None
    if track:
        count = len(slices)
        dtype = np.int8 if count <= 127 else np.int16 if count <= 32767 else np.int32
        arg = np.zeros(y.shape, dtype=dtype)                      # (N, C, Ho, Wo)
        step = np.empty_like(arg)
        wins = np.empty(y.shape, dtype=bool)
    for k, rows, cols in slices[1:]:
        v = xp[:, :, rows, cols]                                  # (N, C, Ho, Wo) view
        if track:
            np.greater(v, y, out=wins)                            # strictly: first max wins
            np.subtract(arg.dtype.type(k), arg, out=step)         # arg = k where v wins:
            np.multiply(step, wins, out=step)                     # int arithmetic, ~50x
            np.add(arg, step, out=arg)                            # faster than copyto(where)
        np.maximum(y, v, out=y)
    return y, arg


def max_pool_backward(gy: Array, arg: Array, win: Window) -> Array:
    r""":math:`g_x[\text{argmax of window } (i, j)] \mathrel{+}= g_y[i, j]`, one masked
    product per kernel offset (an assignment when windows do not overlap)."""
    gxp = _grad_buffer(gy, win)                              # (N, C, Hp, Wp)
    overlapping = win.overlapping
    for k, rows, cols in offset_slices(win):
        mask = arg == k                                           # (N, C, Ho, Wo)
        if overlapping:
            gxp[:, :, rows, cols] += gy * mask
        else:
            np.multiply(gy, mask, out=gxp[:, :, rows, cols])
    return _unpad(gxp, win)


def max_pool_indices(arg: Array, win: Window) -> Array:
    """PyTorch's ``return_indices``: flat positions ``h W + w`` of each maximum in its input."""
    kw = win.kernel[1]
    (sh, sw), (dh, dw) = win.stride, win.dilation
    ho, wo = win.out_size
    top, _, left, _ = win.pads
    a, b = np.divmod(arg.astype(np.int64), kw)                    # offsets in the kernel
    rows = np.arange(ho).reshape(ho, 1) * sh - top + a * dh      # (N, C, Ho, Wo)
    cols = np.arange(wo) * sw - left + b * dw                     # (N, C, Ho, Wo)
    return rows * win.in_size[1] + cols



def max_pool_twin_supported(x: Array, win: Window) -> bool:
    """Whether a compiled max-pooling kernel takes this input: the 2 x 2 stride-2 kernel
    (:mod:`nnblocks.kernels.pool`) or the tiled one for any window with stride = kernel
    (:mod:`nnblocks.kernels.pool_tiled`)."""
    return kernel_pool.supported(x, win) or kernel_pool_tiled.supported(x, win)

class MaxPool2dBlock(Block):
    r"""2-D max pooling (kernel, stride, padding with :math:`-\infty`, dilation, ceil mode).

    .. math::
        y[n, c, i, j] = \max_{a, b}\; x_p[n, c, i s_h + a d_h, j s_w + b d_w], \qquad
        g_x[n, c, h, w] = \sum_{(i, j):\ \arg\max(i, j) = (h, w)} g_y[n, c, i, j]

    Ties: the gradient goes to one element, the first maximum of the window in row-major
    order (PyTorch's CPU choice). A window holding NaN outputs NaN, as in PyTorch, but its
    gradient may go to another element than PyTorch's.

    Shapes:
        x: ``(N, C, H, W)`` or unbatched ``(C, H, W)``; y: ``(N, C, H_o, W_o)``; with
        ``return_indices`` also int64 indices of that shape (flat ``h W + w``).

    Saved: the argmax as an int8 offset per output (not the input; nothing when x needs no
    gradient).
    """

    takes_needs_input_grad = True
    compiled_twin = Twin(max_pool_twin_supported)              # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False,
                needs_input_grad: tuple[bool] = (True,), who: str = "max_pool2d"
                ) -> tuple[Any, tuple]:
        return _max_forward(MaxPool2dBlock, x, 2, kernel_size, stride, padding, dilation,
                            ceil_mode, return_indices, needs_input_grad[0], who)

    @staticmethod
    def backward(saved: tuple, gy: Any) -> tuple[Array]:
        return _max_backward(saved, gy)


class MaxPool1dBlock(Block):
    r"""1-D max pooling: :class:`MaxPool2dBlock` on ``(N, C, 1, L)``.

    .. math::
        y[n, c, j] = \max_b x_p[n, c, j s + b d], \qquad
        g_x[n, c, l] = \sum_{j:\ \arg\max(j) = l} g_y[n, c, j]

    Shapes:
        x: ``(N, C, L)`` or ``(C, L)``; y: ``(N, C, L_o)`` (and int64 indices into L).
    """

    compiled_twin = Twin(max_pool_twin_supported)              # see nnblocks.kernels.dispatch
    takes_needs_input_grad = True

    @staticmethod
    def forward(x: Array, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False,
                needs_input_grad: tuple[bool] = (True,), who: str = "max_pool1d"
                ) -> tuple[Any, tuple]:
        return _max_forward(MaxPool1dBlock, x, 1, kernel_size, stride, padding, dilation,
                            ceil_mode, return_indices, needs_input_grad[0], who)

    @staticmethod
    def backward(saved: tuple, gy: Any) -> tuple[Array]:
        return _max_backward(saved, gy)


def _max_forward(block, x, dims, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices, track, who):
    x4, unbatched = _setup(x, dims, who)
    win = pool_window(x4.shape[4 - dims:], kernel_size, stride, padding, dilation, ceil_mode,
                      who)
    track = bool(track) or return_indices
    compiled = None                                               # the path: None, 2x2, tiled
    if use_compiled(block, x4, win):                              # same y and argmax
        compiled = "2x2" if kernel_pool.supported(x4, win) else "tiled"
        kernel = kernel_pool if compiled == "2x2" else kernel_pool_tiled
        y, arg = kernel.max_pool_forward(x4, win)
        arg = arg if track else None
    else:
        y, arg = max_pool_forward(x4, win, track)
    out = _finish(y, unbatched, dims == 1)
    saved = (arg, win, unbatched, dims, return_indices, compiled)
    if return_indices:
        return (out, _finish(max_pool_indices(arg, win), unbatched, dims == 1)), saved
    return out, saved


def _max_backward(saved, gy):
    arg, win, unbatched, dims, return_indices, compiled = saved
    if return_indices:
        gy = gy[0]
    gy4 = gy[None] if unbatched else gy
    if dims == 1:
        gy4 = gy4[:, :, None]                                     # (N, C, 1, Lo)
    if compiled == "2x2" and kernel_pool.supported(gy4, win):
        gx = kernel_pool.max_pool_backward(gy4, arg, win)
    elif compiled == "tiled" and kernel_pool_tiled.supported(gy4, win):
        gx = kernel_pool_tiled.max_pool_backward(gy4, arg, win)
    else:
        gx = max_pool_backward(gy4, arg, win)
    return (_finish(gx, unbatched, dims == 1),)


# ---------------------------------------------------------------------- average pooling
def avg_divisor(win: Window, count_include_pad: bool, divisor_override: int | None,
                dtype: np.dtype) -> Array | float:
    r"""PyTorch's divisor of each window: the window's size clipped to the padded input
    (``count_include_pad``) or to the input itself; a Python float when it is one number.

    Along an axis a window starts at :math:`t = i s - p` and covers
    :math:`[t, \min(t + k, n + p))` of the padded input; the product over both axes.
    """
    if divisor_override is not None:
        return float(divisor_override)
    counts = []
    for size, k, s, p_lo, n_out in zip(win.in_size, win.kernel, win.stride,
                                       win.pads[::2], win.out_size):
        start = np.arange(n_out) * s - p_lo
        end = np.minimum(start + k, size + p_lo)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(np.maximum(end - start, 1))
    divisor = counts[0].reshape(-1, 1) * counts[1]                # (Ho, Wo)
    if np.all(divisor == divisor.flat[0]):
        return float(divisor.flat[0])
    return divisor.astype(dtype)


def avg_pool_forward(x: Array, win: Window, divisor: Array | float) -> Array:
    """Sum of the kernel offsets' strided views, divided by the window sizes."""
    xp = _pad(x, win, 0.0)                                        # (N, C, Hp, Wp)
    slices = list(offset_slices(win))
    _, rows, cols = slices[0]
    y = np.array(xp[:, :, rows, cols])                            # (N, C, Ho, Wo)
    for _, rows, cols in slices[1:]:
        y += xp[:, :, rows, cols]
    y /= divisor
    return y


def avg_pool_backward(gy: Array, win: Window, divisor: Array | float) -> Array:
    r""":math:`g_x[\text{window } (i, j)] \mathrel{+}= g_y[i, j] / |\text{window}|`."""
    g = gy / divisor                                              # (N, C, Ho, Wo)
    gxp = _grad_buffer(gy, win)                              # (N, C, Hp, Wp)
    overlapping = win.overlapping
    for _, rows, cols in offset_slices(win):
        if overlapping:
            gxp[:, :, rows, cols] += g
        else:
            gxp[:, :, rows, cols] = g
    return _unpad(gxp, win)


class AvgPool2dBlock(Block):
    r"""2-D average pooling (kernel, stride, zero padding, ceil mode, ``count_include_pad``,
    ``divisor_override``), PyTorch's divisors.

    .. math::
        y[n, c, i, j] = \frac{1}{D_{ij}} \sum_{a, b} x_p[n, c, i s_h + a, j s_w + b], \qquad
        g_x[n, c, h, w] = \sum_{(i, j) \ni (h, w)} \frac{g_y[n, c, i, j]}{D_{ij}}

    :math:`D_{ij}` is the window's size (including zero padding unless
    ``count_include_pad=False``; a ceil-mode overhang never counts) or ``divisor_override``.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, H_o, W_o)``.
    """

    @staticmethod
    def forward(x: Array, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None,
                who: str = "avg_pool2d") -> tuple[Array, tuple]:
        return _avg_forward(x, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                            divisor_override, who)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        return _avg_backward(saved, gy)


class AvgPool1dBlock(Block):
    r"""1-D average pooling: :class:`AvgPool2dBlock` on ``(N, C, 1, L)``.

    .. math::
        y[n, c, j] = \frac{1}{D_j} \sum_b x_p[n, c, j s + b], \qquad
        g_x[n, c, l] = \sum_{j \ni l} g_y[n, c, j] / D_j

    Shapes:
        x: ``(N, C, L)`` or ``(C, L)``; y: ``(N, C, L_o)``.
    """

    @staticmethod
    def forward(x: Array, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                ceil_mode: bool = False, count_include_pad: bool = True,
                who: str = "avg_pool1d") -> tuple[Array, tuple]:
        return _avg_forward(x, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                            None, who)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        return _avg_backward(saved, gy)


def _avg_forward(x, dims, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override, who):
    x4, unbatched = _setup(x, dims, who)
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override == 0):
        raise ValueError(f"{who}: divisor_override must be a non-zero int or None, "
                         f"got {divisor_override!r}")
    win = pool_window(x4.shape[4 - dims:], kernel_size, stride, padding, 1, ceil_mode, who)
    divisor = avg_divisor(win, count_include_pad, divisor_override, x.dtype)
    y = avg_pool_forward(x4, win, divisor)
    return _finish(y, unbatched, dims == 1), (win, divisor, unbatched, dims)


def _avg_backward(saved, gy):
    win, divisor, unbatched, dims = saved
    gy4 = gy[None] if unbatched else gy
    if dims == 1:
        gy4 = gy4[:, :, None]                                     # (N, C, 1, Lo)
    return (_finish(avg_pool_backward(gy4, win, divisor), unbatched, dims == 1),)


# ---------------------------------------------------------------------- wrappers
def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False, *,
               who: str = "max_pool2d") -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d`` (:class:`MaxPool2dBlock`).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> max_pool2d(x, 2).array[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return MaxPool2dBlock.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                                dilation=dilation, ceil_mode=ceil_mode,
                                return_indices=return_indices, who=who)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False, *,
               who: str = "max_pool1d") -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling, as ``torch.nn.functional.max_pool1d`` (:class:`MaxPool1dBlock`)."""
    return MaxPool1dBlock.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                                dilation=dilation, ceil_mode=ceil_mode,
                                return_indices=return_indices, who=who)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, who: str = "avg_pool2d") -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (:class:`AvgPool2dBlock`).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> avg_pool2d(x, 2).array[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return AvgPool2dBlock.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                                ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                                divisor_override=divisor_override, who=who)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, *,
               who: str = "avg_pool1d") -> Tensor:
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d`` (:class:`AvgPool1dBlock`)."""
    return AvgPool1dBlock.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                                ceil_mode=ceil_mode, count_include_pad=count_include_pad, who=who)
