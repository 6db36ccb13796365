r"""Sliding-window geometry shared by convolution, locally connected layers and pooling.

Everything here works on NCHW arrays with two spatial axes; 1-D layers view ``(N, C, L)`` as
``(N, C, 1, L)``. A window is described per spatial axis by a kernel size :math:`k`, a stride
:math:`s`, a dilation :math:`d` and the padding before/after the input (:math:`p_0, p_1`). The
output size along an axis of input size :math:`n` is PyTorch's

.. math::
    n_{out} = \left\lfloor \frac{n + p_0 + p_1 - d (k - 1) - 1}{s} \right\rfloor + 1,

and output position :math:`i` reads the padded input at :math:`i s + a d` for kernel offset
:math:`a \in [0, k)`.

The im2col matrix is laid out channel-major, ``cols[c, a, b, n, i, j] = x_pad[n, c, i s_h + a
d_h, j s_w + b d_w]``: one strided view copied once (:func:`im2col`), so the convolution is one
GEMM ``W (O, C k_h k_w) @ cols (C k_h k_w, N H_o W_o)``. Its adjoint, col2im, adds the columns
back into the input, one kernel offset at a time (:func:`col2im`; never ``np.add.at``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

Array = np.ndarray


class Window(NamedTuple):
    """Geometry of a 2-D sliding window over a padded NCHW input.

    Attributes:
        kernel: ``(k_h, k_w)``.
        stride: ``(s_h, s_w)``.
        dilation: ``(d_h, d_w)``.
        pads: ``(top, bottom, left, right)`` zeros (or -inf for max-pooling) around the input.
        in_size: ``(H, W)`` of the unpadded input.
        out_size: ``(H_o, W_o)``.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]
    in_size: tuple[int, int]
    out_size: tuple[int, int]

    @property
    def padded_size(self) -> tuple[int, int]:
        top, bottom, left, right = self.pads
        return self.in_size[0] + top + bottom, self.in_size[1] + left + right

    @property
    def overlapping(self) -> bool:
        """Whether two windows can share an input element (stride below the kernel's reach)."""
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))


# ---------------------------------------------------------------------- hyper-parameters
def as_tuple(value: Any, n: int, name: str, who: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as a tuple of ``n`` ints, each at least ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == n and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        values = tuple(int(v) for v in value)
    else:
        raise ValueError(f"{who}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{who}: {name} must be >= {minimum}, got {value!r}")
    return values


def conv_padding(padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...], who: str) -> tuple[tuple[int, int], ...]:
    """Padding ``(before, after)`` per spatial axis from an int, a tuple, ``'valid'`` or ``'same'``.

    ``'same'`` follows PyTorch: the total :math:`d (k - 1)` is split with the smaller half before
    (``total // 2``) and the rest after, so an even kernel pads one more zero at the end; it is
    refused for strided convolutions, as in PyTorch.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{who}: padding='same' is not supported for strided convolutions "
                    f"(stride {stride})"
                )
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{who}: padding must be 'valid', 'same', an int or a tuple of {n} "
                         f"ints, got {padding!r}")
    pads = as_tuple(padding, n, "padding", who, minimum=0)
    return tuple((p, p) for p in pads)


def output_size(size: int, kernel: int, stride: int, before: int, after: int,
                dilation: int) -> int:
    """Number of window positions along one axis (may be < 1 when the input is too small)."""
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def conv_window(in_size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                pads: tuple[tuple[int, int], ...], dilation: tuple[int, ...],
                who: str) -> Window:
    """Check that the kernel fits the padded input and return the 2-D :class:`Window`.

    1-D geometry (one spatial axis) is lifted to 2-D with a height-1 axis in front.
    """
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(in_size, pads))
    if any(p < r for p, r in zip(padded, reach)):
        raise ValueError(
            f"{who}: input of spatial size {_fmt(in_size)} (padded {_fmt(padded)}) is smaller "
            f"than the kernel's reach {_fmt(reach)} (kernel {_fmt(kernel)}, dilation "
            f"{_fmt(dilation)})"
        )
    out = tuple(output_size(n, k, s, lo, hi, d)
                for n, k, s, (lo, hi), d in zip(in_size, kernel, stride, pads, dilation))
    return lift_window(kernel, stride, dilation, pads, in_size, out)


def lift_window(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                pads: tuple[tuple[int, int], ...], in_size: tuple[int, ...],
                out: tuple[int, ...]) -> Window:
    """A :class:`Window` from per-axis values; one axis (1-D) gets a unit height axis."""
    if len(kernel) == 1:
        kernel, stride, dilation = (1, *kernel), (1, *stride), (1, *dilation)
        pads, in_size, out = ((0, 0), *pads), (1, *in_size), (1, *out)
    (top, bottom), (left, right) = pads
    return Window(tuple(kernel), tuple(stride), tuple(dilation), (top, bottom, left, right),
                  tuple(in_size), tuple(out))


def _fmt(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(t) == 1 else str(tuple(t))


# ---------------------------------------------------------------------- array helpers
def pad_input(x: Array, pads: tuple[int, int, int, int], value: float = 0.0) -> Array:
    """``x (N, C, H, W)`` surrounded by ``value`` (a new array), or ``x`` itself without padding."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    xp[:, :, top:top + h, left:left + w] = x                     # (N, C, H, W) interior
    return xp


def crop(gxp: Array, pads: tuple[int, int, int, int], in_size: tuple[int, int]) -> Array:
    """The unpadded interior of a padded-input gradient (a view)."""
    top, _, left, _ = pads
    return gxp[:, :, top:top + in_size[0], left:left + in_size[1]]


def offset_slices(win: Window) -> Iterator[tuple[int, slice, slice]]:
    """``(k, rows, cols)`` for each kernel offset ``k = a k_w + b`` in row-major order: the
    slices of the padded input that offset ``(a, b)`` reads at every output position."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = win.kernel, win.stride, win.dilation, win.out_size
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            yield a * kw + b, rows, slice(b * dw, b * dw + sw * (wo - 1) + 1, sw)


def window_view(xp: Array, win: Window) -> Array:
    """Read-only view ``v[n, c, a, b, i, j] = xp[n, c, i s_h + a d_h, j s_w + b d_w]``."""
    sn, sc, sh, sw = xp.strides
    n, c = xp.shape[:2]
    shape = (n, c, *win.kernel, *win.out_size)
    strides = (sn, sc, sh * win.dilation[0], sw * win.dilation[1],
               sh * win.stride[0], sw * win.stride[1])
    return as_strided(xp, shape, strides, writeable=False)


def im2col(xp: Array, win: Window) -> Array:
    """Channel-major im2col: ``cols (C, k_h, k_w, N, H_o, W_o)``, one copy of a strided view."""
    view = window_view(xp, win).transpose(1, 2, 3, 0, 4, 5)     # (C, kh, kw, N, Ho, Wo)
    cols = np.empty(view.shape, dtype=xp.dtype)
    np.copyto(cols, view)
    return cols


def col2im(gcols: Array, win: Window) -> Array:
    r"""Adjoint of :func:`im2col`: :math:`g_{x_{pad}}[n, c, i s + a d, \dots] \mathrel{+}=
    g_{cols}[c, a, b, n, i, j]`, one strided slice-add per kernel offset.

    Shapes:
        gcols: ``(C, k_h, k_w, N, H_o, W_o)``; returns ``(N, C, H_p, W_p)`` (padded size).
    """
    c, kh, kw, n = gcols.shape[:4]
    gxp = np.zeros((n, c, *win.padded_size), dtype=gcols.dtype)  # (N, C, Hp, Wp)
    for k, rows, cols in offset_slices(win):
        gxp[:, :, rows, cols] += gcols[:, k // kw, k % kw].transpose(1, 0, 2, 3)
    return gxp


def wide_length(win: Window) -> int:
    r"""Length :math:`L = (H_o - 1) W_p + W_o` of a "wide" output row for stride 1.

    With stride 1 the padded input read by offset :math:`(a, b)` at output :math:`(i, j)` is the
    flat position :math:`(i + a d_h) W_p + j + b d_w = t + o_{ab}`, with :math:`t = i W_p + j`
    and :math:`o_{ab} = a d_h W_p + b d_w`: one contiguous run of length :math:`L` per offset.
    Positions with :math:`j \ge W_o` are wrap-around columns that must carry zeros.
    """
    return (win.out_size[0] - 1) * win.padded_size[1] + win.out_size[1]


def to_wide(gy_t: Array, win: Window) -> Array:
    """``gy_t (O, N, H_o, W_o)`` on the wide grid: ``(O, N, L)`` with zeros in wrap-around
    columns (see :func:`wide_length`)."""
    o, n = gy_t.shape[:2]
    length = wide_length(win)
    wide = np.zeros((o, n, length), dtype=gy_t.dtype)                     # (O, N, L)
    wide_view(wide, win)[...] = gy_t
    return wide


def wide_view(wide: Array, win: Window) -> Array:
    """The ``(…, H_o, W_o)`` positions of a wide ``(…, L)`` array (a writeable view)."""
    item = wide.strides[-1]
    shape = (*wide.shape[:-1], *win.out_size)
    strides = (*wide.strides[:-1], win.padded_size[1] * item, item)
    return as_strided(wide, shape, strides)


def col2im_wide(gcols: Array, win: Window) -> Array:
    r""":func:`col2im` for stride 1 on wide columns: one add of a contiguous run per offset.

    Shapes:
        gcols: ``(C, k_h, k_w, N, L)`` with zeros in wrap-around positions; returns
        ``(N, C, H_p, W_p)`` (padded size, a transposed view of a channel-major buffer).
    """
    c, kh, kw, n, length = gcols.shape
    hp, wp = win.padded_size
    gxp = np.zeros((c, n, hp * wp), dtype=gcols.dtype)            # (C, N, Hp Wp)
    add_wide(gcols, gxp, win)
    return gxp.reshape(c, n, hp, wp).transpose(1, 0, 2, 3)        # (N, C, Hp, Wp)


def add_wide(gcols: Array, gxp: Array, win: Window) -> None:
    """``gxp (C, N, H_p W_p) += col2im(gcols (C, k_h, k_w, N, L))`` for stride 1, in place."""
    length = gcols.shape[-1]
    wp = win.padded_size[1]
    dh, dw = win.dilation
    for a in range(win.kernel[0]):
        for b in range(win.kernel[1]):
            start = a * dh * wp + b * dw
            gxp[:, :, start:start + length] += gcols[:, a, b]    # (C, N, L)
