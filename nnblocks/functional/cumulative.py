"""Running sums and products along one dim, as ``torch.cumsum`` and ``torch.cumprod``.

Blocks rather than compositions: a composition would build an ``(n, n)`` triangular matrix per
dim (``O(n^2)``), where both passes here are ``O(n)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.dims import normalize_dims

Array = np.ndarray


def _reverse_cumsum(g: Array, axis: int) -> Array:
    """:math:`r_i = \\sum_{k \\ge i} g_k` along ``axis``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


class CumsumBlock(Block):
    r"""Running sum along ``dim``.

    .. math::
        y_k = \sum_{i \le k} x_i, \qquad g_{x_i} = \sum_{k \ge i} g_{y_k}
        \ \text{(a running sum from the end)}

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()

    @staticmethod
    def forward(x: Array, *, dim: int, dtype: Any = None) -> tuple[Array, tuple]:
        axis = normalize_dims("cumsum", dim, x.ndim)[0] if x.ndim else None
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64                             # PyTorch promotes integers to int64
        y = np.cumsum(x, axis=axis, dtype=dtype).reshape(x.shape)
        return y, (axis, x.dtype)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        axis, dtype = saved
        if axis is None:                                        # a 0-d tensor: y = x
            return (gy.astype(dtype, copy=False),)
        return (_reverse_cumsum(gy, axis).astype(dtype, copy=False),)


class CumprodBlock(Block):
    r"""Running product along ``dim``.

    .. math::
        y_k = \prod_{i \le k} x_i, \qquad
        g_{x_i} = \sum_{k \ge i} g_{y_k} \prod_{j \le k,\, j \ne i} x_j
                = \frac{1}{x_i} \sum_{k \ge i} g_{y_k} y_k \quad (x_i \ne 0).

    Numerics:
        A line with a zero (first at ``z``) is done exactly: entries before ``z`` use the
        quotient (their y_k for k >= z are 0, as the product is), entries after ``z`` get 0,
        and ``g_{x_z} = y_{z-1} \sum_{k \ge z} g_{y_k} \prod_{z < j \le k} x_j`` (PyTorch gives
        the same values).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saves_output = True

    @staticmethod
    def forward(x: Array, *, dim: int, dtype: Any = None) -> tuple[Array, tuple]:
        axis = normalize_dims("cumprod", dim, x.ndim)[0] if x.ndim else None
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64
        y = np.cumprod(x, axis=axis, dtype=dtype).reshape(x.shape)
        return y, (x, y, axis)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        x, y, axis = saved
        if axis is None:
            return (gy.astype(x.dtype, copy=False),)
        xs = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])         # (M, n)
        ys = np.moveaxis(y, axis, -1).reshape(xs.shape)                  # (M, n)
        gs = np.moveaxis(gy, axis, -1).reshape(xs.shape)                 # (M, n)
        zero = xs == 0                                                   # (M, n)
        safe = np.where(zero, 1, xs)
        gx = _reverse_cumsum(gs * ys, 1) / safe                          # (M, n)
        for m in np.flatnonzero(zero.any(axis=1)):                       # lines with a zero
            z = int(np.argmax(zero[m]))
            before = ys[m, z - 1] if z > 0 else 1.0
            after = np.cumprod(np.concatenate(([1.0], xs[m, z + 1:])))   # (n - z,)
            gx[m, z + 1:] = 0
            gx[m, z] = before * np.sum(gs[m, z:] * after)
        moved = np.moveaxis(gy, axis, -1).shape
        return (np.moveaxis(gx.reshape(moved), -1, axis).astype(x.dtype, copy=False),)


def _cumulative(block: Any, name: str, input: Any, dim: int, dtype: Any) -> Tensor:
    if dim is None:
        raise TypeError(f"{name}(): missing the required argument 'dim'")
    if dtype is not None and isinstance(input, Tensor) and np.dtype(dtype) != input.dtype:
        input = input.to(dtype)
    return block.apply(input, dim=int(dim))


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim`` (:class:`CumsumBlock`), as ``torch.cumsum``; integer and bool
    inputs give int64; ``dtype`` casts the input first."""
    return _cumulative(CumsumBlock, "cumsum", input, dim, dtype)


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim`` (:class:`CumprodBlock`), as ``torch.cumprod``."""
    return _cumulative(CumprodBlock, "cumprod", input, dim, dtype)
