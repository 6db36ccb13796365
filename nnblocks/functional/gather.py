"""Picking elements by index, as PyTorch's ``gather``, ``index_select``, ``masked_select``,
``repeat_interleave``, ``flip``, ``roll``, ``unbind``, ``diag`` and ``movedim``.

Each is composed from the indexing block (:class:`~nnblocks.functional.shape.GetItemBlock`,
whose backward scatter-adds the gradient to the picked positions), ``where`` or ``permute``,
so none needs a backward of its own. Integer index arrays make NumPy copy, so the results are
copies, as PyTorch's (an in-place change of one never reaches the input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.math import where
from nnblocks.functional.pointwise import clone
from nnblocks.functional.reduce import normalize_dims
from nnblocks.functional.shape import expand, getitem, permute, reshape

Array = np.ndarray


def _array(x: Any) -> Array:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _int_index(name: str, index: Any) -> Array:
    idx = _array(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected an integer (int64) index, got dtype {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _axis(name: str, dim: int, ndim: int) -> int:
    """One dim as a non-negative axis (``normalize_dims`` sorts several, losing their pairing)."""
    (a,) = normalize_dims(name, dim, ndim)
    return a


def _along(idx: Array, d: int) -> tuple:
    """An index tuple picking ``idx`` along axis ``d`` and every position of the other axes
    (``idx``'s own sizes there): ``x[index][i, j, k] = x[i, idx[i, j, k], k]`` for ``d = 1``."""
    return tuple(
        idx if a == d else np.arange(n).reshape([-1 if b == a else 1 for b in range(idx.ndim)])
        for a, n in enumerate(idx.shape)
    )


def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for ``dim = 1``, as ``torch.gather``;
    ``index`` has input's number of dims and sizes no larger than input's off ``dim``."""
    data = _array(input)
    idx = _int_index("gather", index)
    if idx.ndim != data.ndim:
        raise RuntimeError(f"gather: index has {idx.ndim} dims (shape {idx.shape}), input has "
                           f"{data.ndim} (shape {data.shape}); they must have the same number")
    (d,) = normalize_dims("gather", dim, data.ndim)
    if data.ndim == 0:
        return getitem(input, ())
    for a, (n, m) in enumerate(zip(idx.shape, data.shape)):
        if a != d and n > m:
            raise RuntimeError(f"gather: index shape {idx.shape} is larger than input shape "
                               f"{data.shape} at dim {a} (only dim {d} may differ)")
    return getitem(input, _along(idx, d))


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The entries of ``input`` at ``index`` (1-D) along ``dim``, as ``torch.index_select``."""
    data = _array(input)
    idx = _int_index("index_select", index)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-D or 1-D, got shape {idx.shape}")
    (d,) = normalize_dims("index_select", dim, max(data.ndim, 1))
    if data.ndim == 0:
        return getitem(input, ()) if idx.size == 1 else getitem(reshape(input, 1), idx.ravel())
    return getitem(input, (slice(None),) * d + (idx.reshape(-1),))


def masked_select(input: Any, mask: Any) -> Tensor:
    """The elements of ``input`` where ``mask`` (broadcast with it) is true, as a 1-D tensor
    (``torch.masked_select``)."""
    data = _array(input)
    m = _array(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected a bool mask, got dtype {m.dtype}")
    try:
        shape = np.broadcast_shapes(data.shape, m.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: mask of shape {m.shape} does not broadcast with "
                           f"input of shape {data.shape}") from None
    x = input if data.shape == shape else expand(input, shape)
    return getitem(x, np.broadcast_to(m, shape))


def take_positions(input: Any, dim: int | None, positions: Array, name: str) -> Tensor:
    """``input`` re-indexed by ``positions`` along ``dim`` (flattened when None)."""
    if dim is None:
        return getitem(reshape(input, -1), positions)
    (d,) = normalize_dims(name, dim, max(_array(input).ndim, 1))
    return getitem(input, (slice(None),) * d + (positions,))


def repeat_interleave(input: Any, repeats: Any, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element repeated ``repeats`` times (an int, or one count per element) along
    ``dim`` (over the flattened input when None), as ``torch.repeat_interleave``."""
    data = _array(input)
    if dim is None or data.ndim == 0:
        n = data.size
    else:
        n = data.shape[_axis("repeat_interleave", dim, data.ndim)]
    counts = _array(repeats)
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, n)):
        raise RuntimeError(f"repeat_interleave: repeats must be an int or have one count per "
                           f"element ({n}), got shape {counts.shape}")
    if (counts < 0).any():
        raise RuntimeError("repeat_interleave: repeats must be non-negative")
    positions = np.repeat(np.arange(n), counts.reshape(-1) if counts.ndim else int(counts))
    if data.ndim == 0:
        return getitem(reshape(input, 1), positions)
    return take_positions(input, dim, positions, "repeat_interleave")


def flip(input: Any, dims: Any) -> Tensor:
    """``input`` with the order of the elements along ``dims`` reversed, as ``torch.flip``
    (a copy)."""
    data = _array(input)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = normalize_dims("flip", dims, data.ndim) if dims else ()
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} has a dim more than once")
    out = input
    for a in axes:
        out = getitem(out, (slice(None),) * a + (np.arange(data.shape[a] - 1, -1, -1),))
    return out if axes else clone(input)


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims`` (over the flattened input when None),
    wrapping around, as ``torch.roll``."""
    data = _array(input)
    if dims is None:
        if not isinstance(shifts, int):
            shifts = tuple(shifts)
            if len(shifts) != 1:
                raise RuntimeError(f"roll: {len(shifts)} shifts without dims; give one per dim")
            shifts = shifts[0]
        positions = np.roll(np.arange(data.size), shifts)
        return reshape(getitem(reshape(input, -1), positions), data.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must have the same length, got "
                           f"{len(shifts)} shifts and {len(dims)} dims")
    out = input
    for s, a in zip(shifts, (_axis("roll", a, data.ndim) for a in dims)):
        positions = np.roll(np.arange(data.shape[a]), s)
        out = getitem(out, (slice(None),) * a + (positions,))
    return out


def unbind(input: Any, dim: int = 0) -> tuple:
    """The slices of ``input`` along ``dim``, without that dim, as ``torch.unbind``."""
    data = _array(input)
    (d,) = normalize_dims("unbind", dim, data.ndim)
    return tuple(getitem(input, (slice(None),) * d + (i,)) for i in range(data.shape[d]))


def movedim(input: Any, source: Any, destination: Any) -> Tensor:
    """``input`` with the dims ``source`` moved to positions ``destination``, the others in
    their order, as ``torch.movedim`` (a permute)."""
    ndim = _array(input).ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: source ({len(src)} dims) and destination "
                           f"({len(dst)} dims) must have the same number of dims")
    src = tuple(_axis("movedim", a, ndim) for a in src)
    dst = tuple(_axis("movedim", a, ndim) for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination "
                           f"{destination}")
    order = [a for a in range(ndim) if a not in src]
    for s, t in sorted(zip(dst, src)):
        order.insert(s, t)
    return permute(input, *order) if ndim else input


def diag(input: Any, diagonal: int = 0) -> Tensor:
    """A 1-D input put on the ``diagonal`` of a square 2-D tensor (zeros elsewhere), or the
    ``diagonal`` of a 2-D input as 1-D, as ``torch.diag``."""
    data = _array(input)
    k = int(diagonal)
    if data.ndim == 1:
        n = data.shape[0] + abs(k)
        rows, cols = np.indices((n, n))
        on = cols - rows == k                                         # (n, n)
        pos = np.clip(rows if k >= 0 else cols, 0, max(data.shape[0] - 1, 0))   # (n, n)
        if data.shape[0] == 0:
            return Tensor(np.zeros((n, n), dtype=data.dtype))
        return where(on, getitem(input, pos), np.zeros((), dtype=data.dtype))
    if data.ndim == 2:
        r, c = data.shape
        start_r, start_c = (0, k) if k >= 0 else (-k, 0)
        length = max(min(r - start_r, c - start_c), 0)
        i = np.arange(length)
        return getitem(input, (start_r + i, start_c + i))
    raise RuntimeError(f"diag: expects a 1-D or 2-D tensor, got shape {data.shape}")
