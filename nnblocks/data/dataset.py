"""Datasets: anything with ``len`` and indexing; arrays held in memory; subsets and splits.

A dataset is any object with ``__len__`` and ``__getitem__(i)`` returning one example (a tuple of
arrays, e.g. ``(image, label)``). A dataset may also define ``__getitems__(indices)`` returning a
whole batch at once (PyTorch's convention); :class:`~nnblocks.data.DataLoader` uses it when present,
which for in-memory arrays is one fancy-indexing call per array instead of a Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nnblocks._random import get_rng


@runtime_checkable
class Dataset(Protocol):
    """The dataset protocol: a length and one example per index."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class ArrayDataset:
    """Examples stored as equally long arrays: example ``i`` is ``(a[i] for a in arrays)``.

    >>> ds = ArrayDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, np.int64(3))
    >>> [a.shape for a in ds.__getitems__(np.array([0, 4]))]
    [(2, 2), (2,)]
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("ArrayDataset: give at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [len(a) if a.ndim else -1 for a in self.arrays]
        if min(lengths) < 0 or len(set(lengths)) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(
                f"ArrayDataset: arrays must share their first dimension, got shapes {shapes}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"ArrayDataset({shapes})"


class Subset:
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        n = len(dataset)
        if self.indices.ndim != 1 or (self.indices.size and (
                self.indices.min() < -n or self.indices.max() >= n)):
            raise IndexError(f"Subset: indices must be a 1-D array within [0, {n})")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: np.ndarray) -> Any:
        inner = self.indices[np.asarray(indices)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(inner)
        return collate([self.dataset[int(i)] for i in inner])


def collate(examples: Sequence[Any]) -> Any:
    """Stack a list of examples into a batch: tuples field by field, arrays along a new axis 0."""
    first = examples[0]
    if isinstance(first, (tuple, list)):
        return tuple(np.stack([np.asarray(e[k]) for e in examples]) for k in range(len(first)))
    return np.stack([np.asarray(e) for e in examples])


def split_indices(
    n: int, fractions: Sequence[float], rng: np.random.Generator | None = None
) -> list[np.ndarray]:
    """Shuffle ``range(n)`` with ``rng`` and cut it into parts of the given fractions.

    The last part takes what rounding leaves, so the parts always cover every index once.

    >>> parts = split_indices(10, [0.8, 0.2], rng=np.random.default_rng(0))
    >>> [len(p) for p in parts], sorted(np.concatenate(parts).tolist()) == list(range(10))
    ([8, 2], True)
    """
    if abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"split_indices: fractions must be >= 0 and sum to 1, got {fractions}")
    order = get_rng(rng).permutation(n)
    bounds = np.round(np.cumsum(fractions)[:-1] * n).astype(int)
    return list(np.split(order, bounds))


def random_split(
    dataset: Any, fractions: Sequence[float], rng: np.random.Generator | None = None
) -> list[Subset]:
    """Split a dataset into random, non-overlapping :class:`Subset` s (like PyTorch's)."""
    return [Subset(dataset, part) for part in split_indices(len(dataset), fractions, rng)]


def train_val_split(
    *arrays: np.ndarray, val_fraction: float = 0.1, rng: np.random.Generator | None = None
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Split equally long arrays into a training and a validation part at random.

    >>> x, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> (xt, yt), (xv, yv) = train_val_split(x, y, val_fraction=0.3, rng=np.random.default_rng(1))
    >>> xt.shape, xv.shape, bool((xv[:, 0] // 2 == yv).all())
    ((7, 2), (3, 2), True)
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in [0, 1), got {val_fraction}")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(
            f"train_val_split: arrays have different lengths {[len(a) for a in arrays]}"
        )
    train, val = split_indices(n, [1.0 - val_fraction, val_fraction], rng)
    return tuple(a[train] for a in arrays), tuple(a[val] for a in arrays)
