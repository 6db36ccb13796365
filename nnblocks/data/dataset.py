"""Datasets: anything with ``len`` and indexing; arrays held in memory; subsets and splits.

A dataset is any object with ``__len__`` and ``__getitem__(i)`` returning one example (a tuple of
arrays, e.g. ``(image, label)``). A dataset may also define ``__getitems__(indices)`` returning a
whole batch at once (PyTorch's convention); :class:`~nnblocks.data.DataLoader` uses it when present,
which for in-memory arrays is one fancy-indexing call per array instead of a Python loop.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor


class Dataset:
    """Base class of map-style datasets, as ``torch.utils.data.Dataset``: subclasses define
    ``__getitem__(index)`` (one example) and ``__len__``. Any object with those two methods
    works as a dataset; subclassing adds ``dataset_a + dataset_b`` (a :class:`ConcatDataset`).
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__()")

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of iterable-style datasets, as ``torch.utils.data.IterableDataset``:
    subclasses define ``__iter__`` (yielding examples); the loader batches them in the order
    they come (no sampler, no shuffling). ``a + b`` chains two of them."""

    def __iter__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__()")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other, as ``torch.utils.data.ChainDataset``."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Any:
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class ArrayDataset(Dataset):
    """Examples stored as equally long arrays: example ``i`` is ``(a[i] for a in arrays)``.

    >>> ds = ArrayDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, np.int64(3))
    >>> [a.shape for a in ds.__getitems__(np.array([0, 4]))]
    [(2, 2), (2,)]
    """

    #: ``__getitems__(indices)`` returns the batch already stacked (a tuple of arrays), which
    #: the loader's default collation uses directly (PyTorch's ``__getitems__`` returns a list
    #: of examples instead; datasets without this flag are treated that way)
    batched_getitems = True

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


class TensorDataset(Dataset):
    """Examples stored as equally long tensors, as ``torch.utils.data.TensorDataset``: example
    ``i`` is ``tuple(t[i] for t in tensors)``.

    >>> ds = TensorDataset(Tensor(np.zeros((4, 2))), Tensor(np.arange(4)))
    >>> len(ds), ds[1][1].item()
    (4, 1)
    """

    batched_getitems = True

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t))
                             for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if not self.tensors or None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: Size mismatch between tensors: every tensor must "
                             f"have the same first dimension, got shapes "
                             f"{[tuple(t.shape) for t in self.tensors]}")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(np.asarray(t.array[index])) for t in self.tensors)

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(t.array[np.asarray(indices)] for t in self.tensors)


class ConcatDataset(Dataset):
    """The examples of several datasets one after the other, as
    ``torch.utils.data.ConcatDataset``.

    >>> ds = ConcatDataset([ArrayDataset(np.arange(3)), ArrayDataset(np.arange(10, 12))])
    >>> len(ds), int(ds[3][0]), int(ds[-1][0])
    (5, 10, 11)
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError(f"ConcatDataset: absolute value of index {index} should not "
                                 f"exceed dataset length {n}")
            index += n
        part = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


class Subset(Dataset):
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

    @property
    def batched_getitems(self) -> bool:
        return bool(getattr(self.dataset, "batched_getitems", False))

    def __getitems__(self, indices: np.ndarray) -> Any:
        inner = self.indices[np.asarray(indices)]
        if self.batched_getitems:
            return self.dataset.__getitems__(inner)
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(inner.tolist())
        return [self.dataset[int(i)] for i in inner]


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


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None, *,
                 rng: np.random.Generator | None = None) -> list[Subset]:
    """Split a dataset into random, non-overlapping :class:`Subset` s, as
    ``torch.utils.data.random_split``: ``lengths`` are sizes summing to ``len(dataset)``, or
    fractions summing to 1 (each part gets ``floor(n * fraction)`` examples, and the remainder
    is dealt one by one to the parts in order, as PyTorch). The permutation is drawn from
    ``generator`` (a NumPy Generator; ``rng`` is the same argument under nnblocks' name).

    >>> parts = random_split(range(10), [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    >>> [len(p) for p in parts]
    [5, 3, 2]
    """
    from nnblocks.data.sampler import check_generator

    generator = check_generator(generator if generator is not None else rng, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= n:
        sizes = []
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * fraction)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(int(k) != k or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {lengths} does not equal the "
                         f"length of the input dataset ({n}); give sizes summing to {n} or "
                         f"fractions summing to 1")
    order = get_rng(generator).permutation(n)
    bounds = np.cumsum([int(k) for k in lengths])[:-1]
    return [Subset(dataset, part) for part in np.split(order, bounds)]


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
