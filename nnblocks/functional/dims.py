"""PyTorch's ``dim`` argument turned into NumPy axes: shared by reductions, shape ops, softmax.

A small module of its own so that :mod:`.reduce` and :mod:`.shape` both use it without importing
each other.
"""

from __future__ import annotations

import numpy as np

Dims = int | tuple[int, ...] | None


def normalize_dims(name: str, dim: Dims, ndim: int) -> tuple[int, ...]:
    """Turn ``dim`` into a sorted tuple of non-negative axes, with a clear error if out of range.

    A 0-d tensor accepts ``dim`` 0 or -1, as in PyTorch (returned as axis 0).

    >>> normalize_dims("sum", (-1, 0), 3)
    (0, 2)
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    bound = max(ndim, 1)
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(f"{name}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(int(d) % bound)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: dim {dim} repeats an axis")
    return tuple(sorted(out))
