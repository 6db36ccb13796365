"""More reductions as PyTorch's: ``prod`` (a block), ``logsumexp`` and ``median`` (composed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.dims import normalize_dims
from nnblocks.functional.math import log
from nnblocks.functional.reduce import _expand_back, _reduced_dims
from nnblocks.functional.reduce import sum as _sum
from nnblocks.functional.select import ValuesIndices, _gather
from nnblocks.functional.shape import getitem, reshape, squeeze

Array = np.ndarray


def _exclusive_products(x: Array, axis: int) -> Array:
    r""":math:`\prod_{j \ne i} x_j` along ``axis`` for every ``i``, without dividing (exact
    where some ``x_j`` are 0): the product of the elements before ``i`` times those after."""
    n = x.shape[axis]
    ones = np.ones_like(np.take(x, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, np.take(x, range(n - 1), axis=axis)], axis), axis)
    flipped = np.flip(x, axis)
    after = np.cumprod(np.concatenate([ones, np.take(flipped, range(n - 1), axis=axis)], axis),
                       axis)
    return before * np.flip(after, axis)


class ProdBlock(Block):
    r"""Product over ``dim`` (one axis, or all when None).

    .. math::
        y = \prod_i x_i, \qquad g_{x_i} = g_y \prod_{j \ne i} x_j

    Numerics:
        :math:`\prod_{j \ne i} x_j` is the running product before ``i`` times the one after,
        not ``y / x_i``, so zeros give PyTorch's exact gradient instead of 0/0.

    Shapes:
        x: ``(*)``; y: without ``dim`` (kept as 1 with ``keepdim``); g_x: x's shape.
    """

    saved_inputs = (0,)

    @staticmethod
    def forward(x: Array, *, dim: int | None = None, keepdim: bool = False
                ) -> tuple[Array, tuple]:
        dims = _reduced_dims("prod", dim, x.ndim)
        dtype = np.int64 if x.dtype.kind in "biu" else None
        y = np.asarray(np.prod(x, axis=dims, keepdims=keepdim, dtype=dtype))
        return y, (x, dims, keepdim)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        x, dims, keepdim = saved
        g = _expand_back(gy, x.shape, dims, keepdim)                    # broadcasts to x
        if x.size == 0:
            return (np.zeros_like(x),)
        if len(dims) == 1:
            others = _exclusive_products(x, dims[0])                     # x.shape
        else:
            others = _exclusive_products(x.reshape(-1), 0).reshape(x.shape)
        return ((g * others).astype(x.dtype, copy=False),)


def prod(input: Any, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Product of all elements, or over ``dim`` (:class:`ProdBlock`), as ``torch.prod``;
    integer and bool inputs give int64; ``dtype`` casts the input first."""
    if dtype is not None and isinstance(input, Tensor) and np.dtype(dtype) != input.dtype:
        input = input.to(dtype)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod: dim must be one int (or None for all elements), got {dim!r}")
    return ProdBlock.apply(input, dim=dim, keepdim=keepdim)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:
    r""":math:`\log \sum_i e^{x_i}` over ``dim``, as ``torch.logsumexp``, computed as
    :math:`m + \log \sum_i e^{x_i - m}` with :math:`m = \max_i x_i` (a constant: no overflow;
    the gradient is the softmax). A slice of only ``-inf`` gives ``-inf``, as PyTorch."""
    data = input.array if isinstance(input, Tensor) else np.asarray(input)
    if data.dtype.kind != "f":
        input = Tensor(data.astype(np.float32))
        data = input.array
    dims = _reduced_dims("logsumexp", dim, data.ndim)
    if data.size == 0:
        m = np.zeros(np.sum(data, axis=dims, keepdims=True).shape, dtype=data.dtype)
    else:
        m = np.amax(data, axis=dims, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(data.dtype)               # reduced dims kept
    with np.errstate(divide="ignore"):                                  # log(0) = -inf, as torch
        shifted = log(_sum((input - m).exp(), dims, keepdim=True)) + m  # reduced dims kept
    if keepdim or not dims:
        return shifted
    return squeeze(shifted, dims)


def median(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The median (the lower of the two middle values for an even count, as PyTorch): of all
    elements (a 0-d tensor) when ``dim`` is None, else ``(values, indices)`` along ``dim``; the
    gradient goes to the median element."""
    data = input.array if isinstance(input, Tensor) else np.asarray(input)
    if data.size == 0:
        raise IndexError(f"median: cannot take the median of an empty tensor (shape "
                         f"{data.shape})")
    if dim is None:
        flat = data.reshape(-1)
        k = int(np.argsort(flat, kind="stable")[(flat.size - 1) // 2])
        return getitem(reshape(input, -1), k)
    if data.ndim == 0:
        return ValuesIndices(getitem(input, ()), Tensor(np.array(0)))
    (d,) = normalize_dims("median", dim, data.ndim)
    order = np.argsort(data, axis=d, kind="stable")
    idx = np.take(order, [(data.shape[d] - 1) // 2], axis=d)            # x.shape, 1 at d
    values = _gather(input, idx, d)
    if not keepdim:
        values = squeeze(values, d)
        idx = np.squeeze(idx, axis=d)
    return ValuesIndices(values, Tensor(idx.astype(np.int64)))
