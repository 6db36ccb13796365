r"""Adaptive pooling: a fixed output size from any input size, so a fully convolutional net
accepts images of any size; and global average/max pooling built on it.

Output cell :math:`i` of an axis of input size :math:`n` and output size :math:`m` pools the
bin :math:`[\lfloor i n / m \rfloor, \lceil (i + 1) n / m \rceil)` (PyTorch's bins; neighbours
overlap when :math:`m` does not divide :math:`n`). Both poolings are separable: a rectangular
bin is a bin of rows times a bin of columns, so each axis is pooled in turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.conv import batched, check_float
from nnblocks.functional.reduce import mean
from nnblocks.functional.shape import reshape
from nnblocks.kernels import threads as kernel_threads
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray


def adaptive_bins(n: int, m: int) -> tuple[Array, Array]:
    """``(starts, ends)`` of the ``m`` bins over an axis of size ``n`` (int64 arrays)."""
    i = np.arange(m)
    return (i * n) // m, ((i + 1) * n + m - 1) // m


def output_pair(output_size: Any, in_size: tuple[int, ...], who: str) -> tuple[int, ...]:
    """``output_size`` (an int, or a tuple whose ``None`` entries keep the input size)."""
    n = len(in_size)
    sizes = (output_size,) * n if output_size is None or isinstance(
        output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != n:
        raise ValueError(f"{who}: output_size must be an int or a tuple of {n}, "
                         f"got {output_size!r}")
    out = tuple(size if s is None else s for s, size in zip(sizes, in_size))
    if any(not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 1 for s in out):
        raise ValueError(f"{who}: output_size must hold positive ints (or None), "
                         f"got {output_size!r}")
    return tuple(int(s) for s in out)


def _setup(x: Array, dims: int, output_size: Any, who: str) -> tuple[Array, bool, tuple]:
    check_float(who, "input", x)
    x, unbatched = batched(x, dims, who, "(N, C, L)" if dims == 1 else "(N, C, H, W)")
    out = output_pair(output_size, x.shape[2:], who)
    if dims == 1:
        x, out = x[:, :, None], (1, *out)                         # (N, C, 1, L)
    return x, unbatched, out


def _finish(y: Array, unbatched: bool, dims: int) -> Array:
    if dims == 1:
        y = y[:, :, 0]
    return y[0] if unbatched else y


def _lift_gy(gy: Array, unbatched: bool, dims: int) -> Array:
    gy = gy[None] if unbatched else gy
    return gy[:, :, None] if dims == 1 else gy


# ---------------------------------------------------------------------- average
def bin_matrix(n: int, m: int, dtype: np.dtype) -> Array:
    r"""``A (m, n)`` with :math:`A_{ik} = 1/|\text{bin}_i|` on bin :math:`i`: pooling is ``A x``."""
    starts, ends = adaptive_bins(n, m)
    k = np.arange(n)
    inside = (k >= starts[:, None]) & (k < ends[:, None])        # (m, n)
    return (inside / (ends - starts)[:, None]).astype(dtype)


def separable(x: Array, a: Array | None, b: Array | None, compiled: bool = False) -> Array:
    """``a @ x @ b.T`` over the last two axes of ``x (N, C, H, W)`` as two GEMMs (None: skip).

    ``compiled``: the GEMMs go through :func:`nnblocks.kernels.threads.matmul` (the same
    products; large ones shared among nnblocks' threads, small ones with BLAS at one thread, so
    BLAS's own threads do not spin against the pool's after a global average pooling)."""
    matmul = kernel_threads.matmul if compiled else np.matmul
    n, c, h, w = x.shape
    if b is not None:
        x = matmul(x.reshape(-1, w), b.T).reshape(n, c, h, -1)   # (N, C, H, Wo)
        w = b.shape[0]
    if a is not None:
        rows = np.ascontiguousarray(x.transpose(2, 0, 1, 3)).reshape(h, -1)   # (H, N C Wo)
        x = matmul(a, rows).reshape(-1, n, c, w).transpose(1, 2, 0, 3)       # (N, C, Ho, Wo)
    return np.ascontiguousarray(x)


def gemm_supported(x: Array) -> bool:
    """Whether the compiled path takes ``x``: float32/float64 (BLAS's types)."""
    return x.dtype in (np.float32, np.float64)


class AdaptiveAvgPool2dBlock(Block):
    r"""Average over adaptive bins: :math:`y = A_h\, x\, A_w^\top` per (sample, channel),
    :math:`g_x = A_h^\top g_y A_w`, with the bin matrices of :func:`bin_matrix`.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, H_o, W_o)``.
    """

    compiled_twin = Twin(gemm_supported)          # the GEMMs on nnblocks' threads (separable)

    @staticmethod
    def forward(x: Array, *, output_size: Any,
                who: str = "adaptive_avg_pool2d") -> tuple[Array, tuple]:
        return _avg_forward(x, 2, output_size, who)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        return _avg_backward(saved, gy)


class AdaptiveAvgPool1dBlock(Block):
    r"""1-D :class:`AdaptiveAvgPool2dBlock`: :math:`y = A x`, :math:`g_x = A^\top g_y` per row.

    Shapes:
        x: ``(N, C, L)`` or ``(C, L)``; y: ``(N, C, L_o)``.
    """

    compiled_twin = Twin(gemm_supported)

    @staticmethod
    def forward(x: Array, *, output_size: Any,
                who: str = "adaptive_avg_pool1d") -> tuple[Array, tuple]:
        return _avg_forward(x, 1, output_size, who)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        return _avg_backward(saved, gy)


def _avg_forward(x, dims, output_size, who):
    owner = AdaptiveAvgPool1dBlock if dims == 1 else AdaptiveAvgPool2dBlock
    x4, unbatched, (ho, wo) = _setup(x, dims, output_size, who)
    h, w = x4.shape[2:]
    a = None if ho == h else bin_matrix(h, ho, x.dtype)           # (Ho, H)
    b = None if wo == w else bin_matrix(w, wo, x.dtype)           # (Wo, W)
    compiled = use_compiled(owner, x4)
    y = separable(x4, a, b, compiled)                             # (N, C, Ho, Wo)
    return _finish(y, unbatched, dims), (a, b, unbatched, dims, compiled)


def _avg_backward(saved, gy):
    a, b, unbatched, dims, compiled = saved
    gy4 = _lift_gy(gy, unbatched, dims)
    if a is not None and b is not None and a.shape[0] == 1 and b.shape[0] == 1:
        # global pooling: both GEMMs have one inner term, so they are these two products,
        # broadcast in one pass instead of GEMMs and a transposed copy (same bits)
        gx = (gy4 * b.reshape(1, 1, 1, -1)) * a.reshape(1, 1, -1, 1)   # (N, C, H, W)
        return (_finish(gx, unbatched, dims),)
    gx = separable(gy4, None if a is None else a.T, None if b is None else b.T, compiled)
    return (_finish(gx, unbatched, dims),)


# ---------------------------------------------------------------------- max
def max_last_axis(x: Array, m: int) -> tuple[Array, Array]:
    """Max over ``m`` adaptive bins of the last axis: ``y (…, m)`` and the index (along that
    axis) of the first maximum of each bin. A loop over offsets within a bin, never over bins.
    """
    n = x.shape[-1]
    if n % m == 0:                                                # equal bins, no overlap
        k = n // m
        xr = x.reshape(*x.shape[:-1], m, k)                       # (…, m, k)
        first = xr.argmax(axis=-1)                                # (…, m) first max
        y = np.take_along_axis(xr, first[..., None], axis=-1)[..., 0]
        return y, first + np.arange(m) * k
    starts, ends = adaptive_bins(n, m)
    y = x[..., starts]                                            # (…, m)
    arg = np.broadcast_to(starts, y.shape).copy()                 # (…, m)
    for offset in range(1, int((ends - starts).max())):
        idx = np.minimum(starts + offset, ends - 1)              # clamped: repeats are harmless
        v = x[..., idx]                                           # (…, m)
        arg += (v > y) * (idx - arg)                              # strictly: first max wins
        np.maximum(y, v, out=y)
    return y, arg


def unmax_last_axis(gy: Array, arg: Array, n: int) -> Array:
    r"""Adjoint of :func:`max_last_axis`: :math:`g_x[…, k] = \sum_{i \ni k} g_y[…, i]\,
    [\arg_i = k]`, gathered for each input position over the (few) bins that contain it."""
    m = gy.shape[-1]
    starts, ends = adaptive_bins(n, m)
    k = np.arange(n)
    lo = np.searchsorted(ends, k, side="right")                   # first bin holding k
    hi = np.searchsorted(starts, k, side="right")                 # one past the last
    gx = np.zeros((*gy.shape[:-1], n), dtype=gy.dtype)            # (…, n)
    for q in range(int((hi - lo).max())):
        i = np.minimum(lo + q, hi - 1)                            # (n,) bin index per position
        hit = (arg[..., i] == k) & (lo + q < hi)                  # (…, n)
        gx += gy[..., i] * hit
    return gx


def adaptive_max_forward(x: Array, out: tuple[int, int]) -> tuple[Array, Array, Array]:
    """Columns then rows: ``y (N, C, Ho, Wo)``, the column argmax ``(N, C, H, Wo)`` of every row
    and the row argmax ``(N, C, Ho, Wo)``; row-major first maximum overall (PyTorch's)."""
    ho, wo = out
    t, col_arg = max_last_axis(x, wo)                             # (N, C, H, Wo)
    yt, row_arg = max_last_axis(t.transpose(0, 1, 3, 2), ho)      # (N, C, Wo, Ho)
    return yt.transpose(0, 1, 3, 2), col_arg, row_arg.transpose(0, 1, 3, 2)


def adaptive_max_backward(gy: Array, col_arg: Array, row_arg: Array,
                          in_size: tuple[int, int]) -> Array:
    h, w = in_size
    gt = unmax_last_axis(gy.transpose(0, 1, 3, 2), row_arg.transpose(0, 1, 3, 2), h)
    return unmax_last_axis(gt.transpose(0, 1, 3, 2), col_arg, w)  # (N, C, H, W)


class AdaptiveMaxPool2dBlock(Block):
    r"""Maximum over adaptive bins, separably: :math:`t = \max_{cols}`, :math:`y = \max_{rows} t`.

    .. math::
        y[n, c, i, j] = \max_{h \in R_i,\, w \in C_j} x[n, c, h, w], \qquad
        g_x[n, c, h, w] = \sum_{(i, j):\ \arg\max(i, j) = (h, w)} g_y[n, c, i, j]

    The row stage picks the first row whose maximum wins and the column stage the first column
    in it: the first maximum in row-major order, as PyTorch. ``return_indices`` gives the flat
    positions ``h W + w``.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, H_o, W_o)`` (and int64 indices).
    """

    @staticmethod
    def forward(x: Array, *, output_size: Any, return_indices: bool = False,
                who: str = "adaptive_max_pool2d") -> tuple[Any, tuple]:
        return _max_forward(x, 2, output_size, return_indices, who)

    @staticmethod
    def backward(saved: tuple, gy: Any) -> tuple[Array]:
        return _max_backward(saved, gy)


class AdaptiveMaxPool1dBlock(Block):
    r"""1-D :class:`AdaptiveMaxPool2dBlock`: :math:`y[n, c, j] = \max_{l \in C_j} x[n, c, l]`,
    :math:`g_x[n, c, l] = \sum_{j:\ \arg\max(j) = l} g_y[n, c, j]`.

    Shapes:
        x: ``(N, C, L)`` or ``(C, L)``; y: ``(N, C, L_o)`` (and int64 indices into L).
    """

    @staticmethod
    def forward(x: Array, *, output_size: Any, return_indices: bool = False,
                who: str = "adaptive_max_pool1d") -> tuple[Any, tuple]:
        return _max_forward(x, 1, output_size, return_indices, who)

    @staticmethod
    def backward(saved: tuple, gy: Any) -> tuple[Array]:
        return _max_backward(saved, gy)


def _max_forward(x, dims, output_size, return_indices, who):
    x4, unbatched, out = _setup(x, dims, output_size, who)
    y, col_arg, row_arg = adaptive_max_forward(x4, out)
    saved = (col_arg, row_arg, x4.shape[2:], unbatched, dims, return_indices)
    y = _finish(y, unbatched, dims)
    if not return_indices:
        return y, saved
    cols = np.take_along_axis(col_arg, row_arg, axis=2)          # (N, C, Ho, Wo)
    indices = row_arg * x4.shape[3] + cols
    return (y, _finish(indices.astype(np.int64), unbatched, dims)), saved


def _max_backward(saved, gy):
    col_arg, row_arg, in_size, unbatched, dims, return_indices = saved
    if return_indices:
        gy = gy[0]
    gy4 = _lift_gy(gy, unbatched, dims)
    return (_finish(adaptive_max_backward(gy4, col_arg, row_arg, in_size), unbatched, dims),)


# ---------------------------------------------------------------------- wrappers
def adaptive_avg_pool2d(input: Any, output_size: Any, *,
                        who: str = "adaptive_avg_pool2d") -> Tensor:
    """As ``torch.nn.functional.adaptive_avg_pool2d`` (:class:`AdaptiveAvgPool2dBlock`).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    >>> adaptive_avg_pool2d(x, 2).array[0, 0]
    array([[2., 3.],
           [5., 6.]])
    """
    return AdaptiveAvgPool2dBlock.apply(input, output_size=output_size, who=who)


def adaptive_avg_pool1d(input: Any, output_size: Any, *,
                        who: str = "adaptive_avg_pool1d") -> Tensor:
    """As ``torch.nn.functional.adaptive_avg_pool1d`` (:class:`AdaptiveAvgPool1dBlock`)."""
    return AdaptiveAvgPool1dBlock.apply(input, output_size=output_size, who=who)


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False, *,
                        who: str = "adaptive_max_pool2d") -> Tensor | tuple[Tensor, Tensor]:
    """As ``torch.nn.functional.adaptive_max_pool2d`` (:class:`AdaptiveMaxPool2dBlock`)."""
    return AdaptiveMaxPool2dBlock.apply(input, output_size=output_size,
                                        return_indices=return_indices, who=who)


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False, *,
                        who: str = "adaptive_max_pool1d") -> Tensor | tuple[Tensor, Tensor]:
    """As ``torch.nn.functional.adaptive_max_pool1d`` (:class:`AdaptiveMaxPool1dBlock`)."""
    return AdaptiveMaxPool1dBlock.apply(input, output_size=output_size,
                                        return_indices=return_indices, who=who)


def _global_check(input: Any, who: str) -> None:
    shape = np.shape(getattr(input, "array", input))
    if len(shape) != 4:
        raise ValueError(f"{who}: expected a 4-D input (N, C, H, W), got shape {shape}")


def global_avg_pool2d(input: Any) -> Tensor:
    """Mean over all positions: ``(N, C, H, W) -> (N, C)``, for any H, W (a :class:`Mean`).

    >>> import nnblocks as nb
    >>> global_avg_pool2d(nb.tensor(np.ones((2, 3, 5, 7)))).shape
    (2, 3)
    """
    _global_check(input, "global_avg_pool2d")
    return mean(input, dim=(2, 3))


def global_max_pool2d(input: Any) -> Tensor:
    """Maximum over all positions: ``(N, C, H, W) -> (N, C)``, for any H, W (gradient to the
    first maximum, as ``adaptive_max_pool2d(x, 1)``)."""
    _global_check(input, "global_max_pool2d")
    y = AdaptiveMaxPool2dBlock.apply(input, output_size=1, who="global_max_pool2d")
    return reshape(y, y.shape[0], y.shape[1])
