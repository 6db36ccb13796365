"""``DataLoader``: mini-batches in a shuffled order that can be saved and resumed exactly."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor
from nnblocks.data.dataset import collate


class DataLoader:
    """Iterate over a dataset in mini-batches, reshuffled every epoch, resumable mid-epoch.

    Each ``for batch in loader`` is one epoch. A batch is what the dataset's examples stack into,
    with every array wrapped in a :class:`~nnblocks.Tensor` (``requires_grad=False``), as in
    PyTorch: an ``ArrayDataset(x, y)`` gives ``(x_batch, y_batch)`` tensors, so a training step
    reads ``loss = loss_fn(model(x), y)``. Pass ``as_tensor=False`` to get NumPy arrays.

    Args:
        dataset: a :class:`~nnblocks.data.Dataset`; ``__getitems__`` is used when it has one.
        batch_size: examples per batch.
        shuffle: draw a new random order at the start of every epoch (default True, unlike
            PyTorch's False: training is the common case; pass ``shuffle=False`` for evaluation).
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        sampler: an iterable of indices giving each epoch's order instead of ``shuffle`` (e.g.
            a :class:`~nnblocks.data.DistributedSampler`); ``shuffle`` must then be left unset
            or False, as in PyTorch. ``shuffle=None`` (the default) means True without a
            sampler.
        rng: the generator that draws the orders. Give each loader its own generator for an
            exact resume: :meth:`state_dict` saves this generator's state with the loader's.
        as_tensor: wrap batches in tensors (default) or return NumPy arrays.

    Resuming: :meth:`state_dict` records the epoch count, the current epoch's order, how many of
    its batches were handed out, and the generator's state. After :meth:`load_state_dict`, the
    next iteration continues the interrupted epoch from the next batch (or starts the next epoch
    when the saved one was complete), so the batches equal those of an uninterrupted run.

    >>> from nnblocks.data import ArrayDataset
    >>> loader = DataLoader(ArrayDataset(np.arange(5)), batch_size=2, shuffle=False)
    >>> [b[0].tolist() for b in loader]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool | None = None,
        drop_last: bool = False,
        rng: np.random.Generator | None = None,
        as_tensor: bool = True,
        sampler: Any = None,
    ) -> None:
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; "
                             "leave shuffle unset (the sampler decides the order)")
        if shuffle is None:
            shuffle = sampler is None
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = get_rng(rng)
        self.as_tensor = bool(as_tensor)
        self.sampler = sampler
        self.epoch = 0                      # completed epochs
        self._order: np.ndarray | None = None
        self._position = 0                  # batches of the current order already handed out
        self._resume = False                # the next __iter__ continues a loaded epoch

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = self._epoch_length()
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if not self._resume:
            self._start_epoch()
        self._resume = False
        num_batches = len(self)
        while self._position < num_batches:
            start = self._position * self.batch_size
            indices = self._order[start:start + self.batch_size]
            self._position += 1             # counted before yielding: state_dict() taken now
            yield self._fetch(indices)      # says this batch was already handed out
        self.epoch += 1

    def _epoch_length(self) -> int:
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def _start_epoch(self) -> None:
        if self.sampler is not None:
            self._order = np.fromiter(iter(self.sampler), dtype=np.int64)
        else:
            n = len(self.dataset)
            self._order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        self._position = 0

    def _fetch(self, indices: np.ndarray) -> Any:
        if hasattr(self.dataset, "__getitems__"):
            batch = self.dataset.__getitems__(indices)
        else:
            batch = collate([self.dataset[int(i)] for i in indices])
        if not self.as_tensor:
            return batch
        if isinstance(batch, tuple):
            return tuple(Tensor(np.asarray(b)) for b in batch)
        return Tensor(np.asarray(batch))

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """The loader's position: epoch, the unfinished epoch's order, batches done, RNG state."""
        unfinished = self._order is not None and self._position < len(self)
        return {
            "epoch": self.epoch,
            "position": self._position if unfinished else 0,
            "order": self._order.copy() if unfinished else None,
            "rng": self.rng.bit_generator.state,
            "batch_size": self.batch_size,
            "dataset_length": len(self.dataset),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the next iteration continues where that one stopped."""
        n = len(self.dataset)
        if int(state["dataset_length"]) != n or int(state["batch_size"]) != self.batch_size:
            raise ValueError(
                f"DataLoader.load_state_dict: state is for a dataset of {state['dataset_length']} "
                f"examples in batches of {state['batch_size']}, this loader has {n} examples "
                f"in batches of {self.batch_size}"
            )
        self.epoch = int(state["epoch"])
        self.rng.bit_generator.state = state["rng"]
        order = state["order"]
        if order is None:
            self._order = None
            self._position = 0
            self._resume = False
            return
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (self._epoch_length(),):
            raise ValueError(
                f"DataLoader.load_state_dict: saved order has shape {order.shape}, expected "
                f"({self._epoch_length()},)"
            )
        self._order = order
        self._position = int(state["position"])
        self._resume = True

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.dataset)} examples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
