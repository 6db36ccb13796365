r"""Convolution as cross-correlation (Conv1d, Conv2d) and the Sobel edge filter.

What deep-learning libraries call convolution is the cross-correlation of the lecture,
:math:`S(i, j) = (I \star K)(i, j) = \sum_m \sum_n I(i + m, j + n) K(m, n)`: the kernel is not
flipped. Both blocks are computed as one GEMM over a channel-major im2col matrix
(:mod:`nnblocks.functional.im2col`); 1-D convolutions run as 2-D ones of height 1.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.im2col import (
    Window,
    add_wide,
    as_tuple,
    col2im,
    conv_padding,
    conv_window,
    crop,
    im2col,
    pad_input,
    to_wide,
)
from nnblocks.kernels import conv as kernel_conv
from nnblocks.kernels import depthwise as kernel_depthwise
from nnblocks.kernels import pointwise as kernel_pointwise
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray
Needs = tuple[bool, bool, bool]


# ---------------------------------------------------------------------- checks
def check_float(who: str, name: str, a: Array, dtype: np.dtype | None = None) -> None:
    """Raise unless ``a`` is floating point (and of ``dtype`` when given)."""
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{who}: {name} must be floating point, got dtype {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{who}: {name} has dtype {a.dtype} but the input has dtype {dtype}")


def batched(x: Array, dims: int, who: str, layout: str) -> tuple[Array, bool]:
    """``x`` with a batch axis (added for an unbatched input), and whether one was added."""
    if x.ndim == dims + 2:
        return x, False
    if x.ndim == dims + 1:
        return x[None], True
    raise ValueError(
        f"{who}: expected a {dims + 2}-D input {layout} or a {dims + 1}-D unbatched one, "
        f"got shape {x.shape}"
    )


def conv_setup(x: Array, weight: Array, bias: Array | None, stride: Any, padding: Any,
               dilation: Any, groups: int, dims: int, who: str) -> tuple[Array, bool, Window]:
    """Validate a convolution's arrays and hyper-parameters; return the batched input, whether
    it was unbatched, and the 2-D window geometry.

    The checks and the geometry depend only on shapes, dtypes and hyper-parameters, so they are
    computed once per combination (:func:`_conv_geometry`, cached): a model calls each layer
    with the same ones every step, and at batch 1 the checks cost as much as the arithmetic."""
    key = (x.shape, x.dtype, weight.shape, weight.dtype,
           None if bias is None else (bias.shape, bias.dtype),
           _frozen(stride), _frozen(padding), _frozen(dilation), groups, dims, who)
    try:
        unbatched, win = _conv_geometry(*key)
    except TypeError as e:                       # an unhashable hyper-parameter: uncached
        if "unhashable" not in str(e):
            raise
        unbatched, win = _conv_geometry.__wrapped__(*key)
    return (x[None] if unbatched else x), unbatched, win


def _frozen(value: Any) -> Any:
    """Lists (of ints) as tuples, so hyper-parameters can key the geometry cache."""
    return tuple(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=512)
def _conv_geometry(x_shape: tuple, x_dtype: np.dtype, w_shape: tuple, w_dtype: np.dtype,
                   bias: tuple | None, stride: Any, padding: Any, dilation: Any, groups: int,
                   dims: int, who: str) -> tuple[bool, Window]:
    """Every check of :func:`conv_setup`, on shapes and dtypes; ``(unbatched, window)``."""
    _check_float_dtype(who, "input", x_dtype)
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if len(x_shape) == dims + 2:
        unbatched = False
    elif len(x_shape) == dims + 1:
        unbatched = True
        x_shape = (1, *x_shape)
    else:
        raise ValueError(
            f"{who}: expected a {dims + 2}-D input {layout} or a {dims + 1}-D unbatched one, "
            f"got shape {x_shape}"
        )
    _check_float_dtype(who, "weight", w_dtype, x_dtype)
    if len(w_shape) != dims + 2:
        raise ValueError(f"{who}: weight must be {dims + 2}-D (out_channels, in_channels/groups, "
                         f"{'k' if dims == 1 else 'kH, kW'}), got shape {w_shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    c_in, c_out = x_shape[1], w_shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(f"{who}: groups={groups} must divide both in_channels={c_in} and "
                         f"out_channels={c_out}")
    if c_in != w_shape[1] * groups:
        extra = f", groups={groups}" if groups != 1 else ""
        raise ValueError(f"{who}: input has {c_in} channels, weight expects "
                         f"{w_shape[1] * groups} (weight {w_shape}{extra})")
    if bias is not None:
        b_shape, b_dtype = bias
        _check_float_dtype(who, "bias", b_dtype, x_dtype)
        if b_shape != (c_out,):
            raise ValueError(f"{who}: bias must have shape ({c_out},) for weight "
                             f"{w_shape}, got {b_shape}")
    kernel = w_shape[2:]
    stride_t = as_tuple(stride, dims, "stride", who)
    dilation_t = as_tuple(dilation, dims, "dilation", who)
    pads = conv_padding(padding, kernel, stride_t, dilation_t, who)
    return unbatched, conv_window(x_shape[2:], kernel, stride_t, pads, dilation_t, who)


def _check_float_dtype(who: str, name: str, dtype: np.dtype, expected: np.dtype | None = None
                       ) -> None:
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{who}: {name} must be floating point, got dtype {dtype}")
    if expected is not None and dtype != expected:
        raise TypeError(f"{who}: {name} has dtype {dtype} but the input has dtype {expected}")


# ---------------------------------------------------------------------- the math
def grouped_matmul(a: Array, b: Array, groups: int) -> Array:
    """``a @ b`` block-diagonally: ``a (G A, K)`` by group rows, ``b (G K, M)`` → ``(G A, M)``."""
    if groups == 1:
        return a @ b
    rows, inner = a.shape[0] // groups, b.shape[0] // groups
    m = b.shape[1]
    out = np.matmul(a.reshape(groups, rows, -1), b.reshape(groups, inner, m))  # (G, A, M)
    return out.reshape(groups * rows, m)


def grouped_matmul_t(a: Array, b: Array, groups: int, out: Array | None = None) -> Array:
    """``a^T @ b`` block-diagonally: ``a (G A, K)``, ``b (G A, M)`` → ``(G K, M)`` (into
    ``out`` when given)."""
    if groups == 1:
        return np.matmul(a.T, b, out=out)
    rows, k, m = a.shape[0] // groups, a.shape[1], b.shape[-1]
    res = np.matmul(a.reshape(groups, rows, k).transpose(0, 2, 1),
                    b.reshape(groups, rows, m),
                    out=None if out is None else out.reshape(groups, k, m))
    return res.reshape(groups * k, m)                                  # (G K, M)


def grouped_matmul_nt(a: Array, b: Array, groups: int) -> Array:
    """``a @ b^T`` block-diagonally: ``a (G A, M)``, ``b (G K, M)`` → ``(G A, K)``.

    Computed as ``(b @ a^T)^T``: with the long axis ``M`` inside, OpenBLAS runs this orientation
    ~20% faster for conv-shaped operands (measured on the weight gradient of a 5x5 conv).
    """
    if groups == 1:
        return (b @ a.T).T                                        # (A, K) view
    rows, inner = a.shape[0] // groups, b.shape[0] // groups
    m = a.shape[1]
    out = np.matmul(b.reshape(groups, inner, m),
                    a.reshape(groups, rows, m).transpose(0, 2, 1))   # (G, K, A)
    return out.transpose(0, 2, 1).reshape(groups * rows, inner)


def conv2d_forward(x: Array, weight: Array, bias: Array | None, win: Window,
                   groups: int) -> tuple[Array, Array]:
    """``y = W ⋆ x + b`` on batched 4-D arrays; returns ``y`` and the im2col matrix."""
    n = x.shape[0]
    o = weight.shape[0]
    ho, wo = win.out_size
    xp = pad_input(x, win.pads)                                   # (N, C, Hp, Wp)
    cols = im2col(xp, win)                                        # (C, kh, kw, N, Ho, Wo)
    cols2 = cols.reshape(math.prod(cols.shape[:3]), n * ho * wo)   # (C kh kw, M)
    y_mat = grouped_matmul(weight.reshape(o, -1), cols2, groups)  # (O, M)
    y_t = y_mat.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)       # (N, O, Ho, Wo) view
    y = np.empty((n, o, ho, wo), dtype=x.dtype)                   # (N, O, Ho, Wo)
    if bias is None:
        np.copyto(y, y_t)
    else:
        np.add(y_t, bias.reshape(o, 1, 1), out=y)                 # bias add = the relayout
    return y, cols


def conv_forward(x: Array, weight: Array, bias: Array | None, win: Window, groups: int,
                 keep: bool, compiled: bool) -> tuple[Array, Array | None, tuple | None]:
    """:func:`conv2d_forward` or, when ``compiled`` (the block's :func:`use_compiled`), its
    compiled twin (:mod:`nnblocks.kernels.conv`). Returns ``y``; what backward needs for ``g_W``
    (None unless ``keep``): the im2col matrix, or for the compiled path the zero-padded input (it
    recomputes im2col chunk by chunk, so the big matrix is never kept); and for the compiled
    path the input's shape and dtype (None: the NumPy path ran), or ``("depthwise",)`` for the
    compiled depthwise path (:mod:`nnblocks.kernels.depthwise`, ``groups = C_in = C_out``), or
    ``("pointwise",)`` for 1 × 1 convolutions (:mod:`nnblocks.kernels.pointwise`)."""
    if compiled and kernel_depthwise.supported(x, weight, groups):
        y, padded = kernel_depthwise.forward(x, weight, bias, win)
        return y, (padded if keep else None), ("depthwise",)
    if compiled and kernel_pointwise.supported(x, weight, win, groups):
        y, xc = kernel_pointwise.forward(x, weight, bias)
        return y, (xc if keep else None), ("pointwise",)
    if compiled:
        y, padded = kernel_conv.forward(x, weight, bias, win, groups, keep)
        return y, padded, (x.shape, x.dtype)
    y, cols = conv2d_forward(x, weight, bias, win, groups)
    return y, (cols if keep else None), None


def conv_backward(gy: Array, kept: Array | None, compiled: tuple | None, weight: Array,
                  win: Window, groups: int,
                  needs: Needs) -> tuple[Array | None, Array | None, Array | None]:
    """Backward of :func:`conv_forward`, on the path its forward took."""
    if compiled == ("depthwise",):
        return kernel_depthwise.backward(gy, kept, weight, win, needs)
    if compiled == ("pointwise",):
        return kernel_pointwise.backward(gy, kept, weight, needs)
    if compiled is not None:
        return kernel_conv.backward(gy, kept, *compiled, weight, win, groups, needs)
    return conv2d_backward(gy, kept, weight, win, groups, needs)


def conv2d_backward(gy: Array, cols: Array | None, weight: Array, win: Window, groups: int,
                    needs: Needs) -> tuple[Array | None, Array | None, Array | None]:
    """``(g_x, g_W, g_b)`` of :func:`conv2d_forward` for the inputs in ``needs``."""
    o = weight.shape[0]
    gy_t = gy.transpose(1, 0, 2, 3)                               # (O, N, Ho, Wo) view
    gx = gw = gb = None
    gy_mat = None
    if needs[1] or needs[2] or (needs[0] and win.stride != (1, 1)):
        gy_mat = np.ascontiguousarray(gy_t).reshape(o, -1)       # (O, M)
        if needs[2]:
            gb = gy_mat @ np.ones(gy_mat.shape[1], dtype=gy.dtype)   # (O,) a GEMV
        if needs[1]:
            cols2 = cols.reshape(math.prod(cols.shape[:3]), -1)   # (C kh kw, M)
            gw = grouped_matmul_nt(gy_mat, cols2, groups).reshape(weight.shape)
    if needs[0]:
        w_mat = weight.reshape(o, -1)                             # (O, C_g kh kw)
        c = w_mat.shape[1] // math.prod(win.kernel) * groups
        if win.stride == (1, 1):                                  # contiguous runs
            gxp = input_grad_wide(w_mat, gy_t, win, groups, c)    # (N, C, Hp, Wp)
        else:
            gcols = grouped_matmul_t(w_mat, gy_mat, groups)      # (C kh kw, M)
            gcols = gcols.reshape(c, *win.kernel, *gy_t.shape[1:])   # (C, kh, kw, N, Ho, Wo)
            gxp = col2im(gcols, win)                              # (N, C, Hp, Wp)
        gx = crop(gxp, win.pads, win.in_size)                     # (N, C, H, W)
    return gx, gw, gb


def input_grad_wide(w_mat: Array, gy_t: Array, win: Window, groups: int, c: int,
                    chunk: int = 8) -> Array:
    r""":math:`g_{x_p} = \mathrm{col2im}(W^\top G)` for stride 1 on the wide grid, ``chunk``
    images at a time: each chunk's GEMM writes a reused buffer that col2im reads while it is
    still in cache (measured ~20% faster than one big GEMM, and a 25 MB smaller peak for the
    LeNet conv2 at batch 64)."""
    wide = to_wide(gy_t, win)                                     # (O, N, L)
    o, n, length = wide.shape
    ck = w_mat.shape[1] * groups                                  # C kh kw
    hp, wp = win.padded_size
    gxp = np.zeros((c, n, hp * wp), dtype=gy_t.dtype)             # (C, N, Hp Wp)
    buffer = np.empty(ck * min(n, chunk) * length, dtype=gy_t.dtype)
    for n0 in range(0, n, chunk):
        k = min(n, n0 + chunk) - n0
        gcols = buffer[:ck * k * length].reshape(ck, k * length)  # (C kh kw, k L)
        grouped_matmul_t(w_mat, wide[:, n0:n0 + k].reshape(o, -1), groups, out=gcols)
        add_wide(gcols.reshape(c, *win.kernel, k, length), gxp[:, n0:n0 + k], win)
    return np.ascontiguousarray(gxp.reshape(c, n, hp, wp).transpose(1, 0, 2, 3))


# ---------------------------------------------------------------------- blocks
_DOC_MATH = r"""
    Forward (``x_p``: the zero-padded input; group :math:`g(o)` of output channel :math:`o`
    reads input channels :math:`g(o) C_g \dots g(o) C_g + C_g - 1`):

    .. math::
        y[n, o, i, j] = b_o + \sum_{c < C_g} \sum_{a, b'} W[o, c, a, b']\,
            x_p[n, g(o) C_g + c, i s_h + a d_h, j s_w + b' d_w]

    i.e. :math:`y = W \star x + b` (cross-correlation). With the im2col matrix
    :math:`X_{col}` of shape :math:`(C k_h k_w, N H_o W_o)` it is one GEMM per group,
    :math:`Y = W X_{col} + b \mathbf 1^\top`.

    Backward, with :math:`G = g_y` laid out as :math:`(O, N H_o W_o)`:

    .. math::
        g_W = G X_{col}^\top, \qquad g_b = G \mathbf 1, \qquad
        g_x = \mathrm{col2im}(W^\top G)

    element by element (:math:`c' = g(o) C_g + c`):

    .. math::
        g_W[o, c, a, b'] = \sum_{n, i, j} g_y[n, o, i, j]\,
            x_p[n, c', i s_h + a d_h, j s_w + b' d_w], \qquad
        g_b[o] = \sum_{n, i, j} g_y[n, o, i, j],

        g_{x_p}[n, c', i s_h + a d_h, j s_w + b' d_w] \mathrel{+}=
            \sum_{o \in g} W[o, c, a, b']\, g_y[n, o, i, j].

    :math:`g_W` is the cross-correlation of the input with :math:`g_y` (dilated by the stride);
    :math:`g_x` is the *full convolution* (kernel flipped) of :math:`g_y`, zero-stuffed by the
    stride, with :math:`W`, cropped by the padding; col2im adds one strided slice per kernel
    offset (for stride 1 a contiguous run per offset on a "wide" grid, see
    :func:`~nnblocks.functional.im2col.wide_length`).
"""


class Conv2dBlock(Block):
    __doc__ = r"""2-D convolution (cross-correlation) with stride, padding, dilation and groups.
    """ + _DOC_MATH + r"""
    Shapes:
        x: ``(N, C, H, W)`` or unbatched ``(C, H, W)``; W: ``(O, C/groups, k_h, k_w)``;
        b: ``(O,)`` or None; y: ``(N, O, H_o, W_o)`` with
        :math:`H_o = \lfloor (H + p_t + p_b - d_h (k_h - 1) - 1) / s_h \rfloor + 1`.

    Hyper-parameters: ``stride``, ``padding`` (int, tuple, ``'valid'`` or ``'same'``),
    ``dilation``, ``groups`` as in PyTorch; ``who`` (the name used in errors). The engine passes
    ``needs_input_grad`` (which of x, W, b need a gradient): without W's the im2col matrix is
    not kept, and backward computes only those gradients.
    """

    takes_needs_input_grad = True
    saved_inputs = (0, 1)                     # the bias is not saved
    compiled_twin = Twin(kernel_conv.supported)                 # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None, *, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1,
                needs_input_grad: Needs = (True, True, True),
                who: str = "conv2d") -> tuple[Array, tuple]:
        x4, unbatched, win = conv_setup(x, weight, bias, stride, padding, dilation, groups,
                                        2, who)
        y, kept, compiled = conv_forward(x4, weight, bias, win, groups, needs_input_grad[1],
                                         use_compiled(Conv2dBlock, x4, weight))
        saved = (kept, weight, win, groups, needs_input_grad, unbatched, compiled)
        return (y[0] if unbatched else y), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array | None, ...]:
        kept, weight, win, groups, needs, unbatched, compiled = saved
        gy4 = gy[None] if unbatched else gy                       # (N, O, Ho, Wo)
        gx, gw, gb = conv_backward(gy4, kept, compiled, weight, win, groups, needs)
        if unbatched and gx is not None:
            gx = gx[0]
        return gx, gw, gb


class Conv1dBlock(Block):
    __doc__ = r"""1-D convolution (cross-correlation), run as a 2-D one of height 1.
    """ + _DOC_MATH.replace("i s_h + a d_h, ", "").replace("[n, o, i, j]", "[n, o, j]") + r"""
    Shapes:
        x: ``(N, C, L)`` or unbatched ``(C, L)``; W: ``(O, C/groups, k)``; b: ``(O,)`` or
        None; y: ``(N, O, L_o)``, :math:`L_o = \lfloor (L + p_0 + p_1 - d (k - 1) - 1)/s
        \rfloor + 1`.
    """

    takes_needs_input_grad = True
    saved_inputs = (0, 1)                     # the bias is not saved
    compiled_twin = Twin(kernel_conv.supported)                 # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None, *, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1,
                needs_input_grad: Needs = (True, True, True),
                who: str = "conv1d") -> tuple[Array, tuple]:
        x3, unbatched, win = conv_setup(x, weight, bias, stride, padding, dilation, groups,
                                        1, who)
        w4 = weight[:, :, None, :]                                # (O, C_g, 1, k)
        y, kept, compiled = conv_forward(x3[:, :, None, :], w4, bias, win, groups,
                                         needs_input_grad[1],
                                         use_compiled(Conv1dBlock, x3, w4))   # (N, O, 1, Lo)
        y = y[:, :, 0, :]                                         # (N, O, Lo)
        saved = (kept, w4, win, groups, needs_input_grad, unbatched, compiled)
        return (y[0] if unbatched else y), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array | None, ...]:
        kept, w4, win, groups, needs, unbatched, compiled = saved
        gy4 = (gy[None] if unbatched else gy)[:, :, None, :]      # (N, O, 1, Lo)
        gx, gw, gb = conv_backward(gy4, kept, compiled, w4, win, groups, needs)
        if gx is not None:
            gx = gx[0, :, 0, :] if unbatched else gx[:, :, 0, :]  # (N, C, L)
        if gw is not None:
            gw = gw[:, :, 0, :]                                   # (O, C_g, k)
        return gx, gw, gb


# ---------------------------------------------------------------------- wrappers
def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, *, who: str = "conv2d") -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d`` (:class:`Conv2dBlock`).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> w = nb.tensor(np.ones((1, 1, 2, 2)))
    >>> conv2d(x, w, stride=2).array[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    return Conv2dBlock.apply(input, weight, bias, stride=stride, padding=padding,
                             dilation=dilation, groups=groups, who=who)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, *, who: str = "conv1d") -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d`` (:class:`Conv1dBlock`).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.array([[[1.0, 2.0, 4.0, 8.0]]]))
    >>> conv1d(x, nb.tensor(np.array([[[-1.0, 1.0]]])), padding="same").array
    array([[[ 1.,  2.,  4., -8.]]])
    """
    return Conv1dBlock.apply(input, weight, bias, stride=stride, padding=padding,
                             dilation=dilation, groups=groups, who=who)


#: Sobel kernels as cross-correlation weights: horizontal change (x) and vertical change (y)
SOBEL_X = ((1.0, 0.0, -1.0), (2.0, 0.0, -2.0), (1.0, 0.0, -1.0))
SOBEL_Y = ((1.0, 2.0, 1.0), (0.0, 0.0, 0.0), (-1.0, -2.0, -1.0))


def sobel_weight(in_channels: int = 1, dtype: Any = np.float32) -> Array:
    r"""Weight ``(2, in_channels, 3, 3)`` of the Sobel filter on the mean of the channels.

    Channel 0 holds :data:`SOBEL_X` (responds to vertical edges), channel 1 its transpose
    :data:`SOBEL_Y` (horizontal edges), each divided by ``in_channels``.
    """
    if not isinstance(in_channels, (int, np.integer)) or in_channels < 1:
        raise ValueError(f"sobel: in_channels must be a positive int, got {in_channels!r}")
    kernels = np.array([SOBEL_X, SOBEL_Y], dtype=dtype) / int(in_channels)   # (2, 3, 3)
    return np.ascontiguousarray(np.broadcast_to(kernels[:, None], (2, in_channels, 3, 3)))


def sobel(x: Any, padding: Any = 1) -> Tensor:
    r"""Sobel edge responses ``(N, 2, H, W)`` of images ``x (N, C, H, W)`` (fixed weights).

    Channel 0 is :math:`x \star S_x`, channel 1 :math:`x \star S_y`, taken on the mean of the
    input channels, with :math:`S_x` = ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]`` and
    :math:`S_y = S_x^\top`. These are the kernels printed on Wikipedia's "Sobel operator" page,
    where ``*`` is a true convolution; applied here as cross-correlation (as every deep-learning
    library does) the responses are Wikipedia's :math:`G_x, G_y` with the opposite sign — the
    same edges and magnitude :math:`\sqrt{G_x^2 + G_y^2}`. ``padding=1`` keeps the size.

    >>> import nnblocks as nb
    >>> step = nb.tensor(np.array([[[[0.0, 0.0, 1.0, 1.0]] * 3]]))   # a vertical edge
    >>> sobel(step, padding=0).array[0, :, 0]
    array([[-4., -4.],
           [ 0.,  0.]])
    """
    data = getattr(x, "array", np.asarray(x))
    if data.ndim not in (3, 4):
        raise ValueError(f"sobel: expected a 4-D input (N, C, H, W) or a 3-D unbatched one, "
                         f"got shape {data.shape}")
    weight = sobel_weight(data.shape[-3], data.dtype)
    return conv2d(x, weight, padding=padding, who="sobel")
