"""Sorting and selection as PyTorch's: ``sort``, ``argsort``, ``topk``, ``masked_fill``, and
``norm``, ``repeat``, ``narrow``, each composed from existing blocks (indexing, ``where``,
reductions), so they need no backward of their own.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.math import where
from nnblocks.functional.reduce import normalize_dims
from nnblocks.functional.shape import expand, getitem, reshape


class ValuesIndices(NamedTuple):
    """What ``sort`` and ``topk`` return, as ``torch.return_types.sort`` / ``topk``."""

    values: Tensor
    indices: Tensor


def _array(x: Any) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _gather(x: Any, idx: np.ndarray, d: int) -> Tensor:
    """``x`` at positions ``idx`` along axis ``d`` (``idx`` has x's shape except at d); the
    gradient is scattered back to those positions by the indexing block."""
    index = tuple(
        idx if a == d else np.arange(n).reshape([-1 if b == a else 1 for b in range(idx.ndim)])
        for a, n in enumerate(idx.shape)
    )
    return getitem(x, index)


def sort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """``(values, indices)`` sorted along ``dim``, as ``torch.sort`` (a stable sort, so tied
    elements keep their order; the gradient flows to the sorted elements)."""
    data = _array(x)
    if data.ndim == 0:
        return ValuesIndices(getitem(x, ()), Tensor(np.array(0)))
    (d,) = normalize_dims("sort", dim, data.ndim)
    idx = argsort(x, d, descending).array
    return ValuesIndices(_gather(x, idx, d), Tensor(idx))


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort ``x`` along ``dim`` (int64, no gradient), as ``torch.argsort``."""
    data = _array(x)
    if data.ndim == 0:
        return Tensor(np.array(0))
    (d,) = normalize_dims("argsort", dim, data.ndim)
    key = data
    if descending:                             # stable: ties keep their order, as torch's
        key = -data if data.dtype.kind == "f" else -data.astype(np.float64)
    idx = np.argsort(key, axis=d, kind="stable")
    return Tensor(idx.astype(np.int64))


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, as
    ``torch.topk`` (always returned sorted)."""
    data = _array(x)
    (d,) = normalize_dims("topk", dim, data.ndim)
    n = data.shape[d] if data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {n}")
    idx = argsort(x, d, descending=largest).array
    idx = np.take(idx, np.arange(k), axis=d)
    return ValuesIndices(_gather(x, idx, d), Tensor(idx))


def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where ``mask`` is true, as ``torch.masked_fill`` (the gradient flows
    to the elements kept)."""
    mask = _array(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got dtype {mask.dtype}")
    data = _array(x)
    if isinstance(value, Tensor):
        if value.array.size != 1:
            raise RuntimeError("masked_fill: value must be a number or a one-element tensor, "
                               f"got shape {value.shape}")
        value = value.array.reshape(()).astype(data.dtype)
    else:
        value = np.asarray(value).astype(data.dtype)
    out = where(mask, value, x)
    if out.shape != data.shape:
        raise RuntimeError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the "
                           f"tensor's shape {data.shape}")
    return out


def tril(x: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements ``j <= i + diagonal``), zeros above,
    as ``torch.tril``; the gradient flows to the elements kept (a :class:`WhereBlock`)."""
    return _triangle("tril", x, diagonal, np.tril)


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements ``j >= i + diagonal``), as
    ``torch.triu``."""
    return _triangle("triu", x, diagonal, np.triu)


def _triangle(name: str, x: Any, diagonal: int, pick: Any) -> Tensor:
    data = _array(x)
    if data.ndim < 2:
        raise RuntimeError(f"{name}: expects a tensor with at least 2 dims, got shape "
                           f"{data.shape}")
    keep = pick(np.ones(data.shape[-2:], dtype=bool), int(diagonal))   # (rows, cols)
    return where(keep, x, np.zeros((), dtype=data.dtype))


def repeat(x: Any, *sizes: Any) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along each axis, as ``Tensor.repeat`` (a reshape, an
    expand and a reshape, so the gradient sums over the copies)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = _array(x).shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"repeat: {len(sizes)} repeat counts for a tensor with {len(shape)} "
                           "dims; give at least one per dim")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    spread = []
    for n in shape:
        spread.extend([1, n])                                # (1, d0, 1, d1, ...)
    tiled = []
    for r, n in zip(sizes, shape):
        tiled.extend([int(r), n])                            # (r0, d0, r1, d1, ...)
    y = expand(reshape(x, tuple(spread)), tuple(tiled))
    return reshape(y, tuple(int(r) * n for r, n in zip(sizes, shape)))


def narrow(x: Any, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start``, as ``torch.narrow`` (a slice)."""
    shape = _array(x).shape
    (d,) = normalize_dims("narrow", dim, len(shape))
    if start < 0:
        start += shape[d]
    if not (0 <= start and length >= 0 and start + length <= shape[d]):
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                         f"{dim} of size {shape[d]}")
    index = (slice(None),) * d + (slice(start, start + length),)
    return getitem(x, index)
