"""``DataLoader``: PyTorch's loader (same arguments and defaults), resumable mid-epoch."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor
from nnblocks.data.collate import default_collate, default_convert
from nnblocks.data.dataset import IterableDataset
from nnblocks.data.sampler import RandomSampler, SequentialSampler, check_generator


class DataLoader:
    """Iterate over a dataset in mini-batches, as ``torch.utils.data.DataLoader``.

    Each ``for batch in loader`` is one epoch. Examples are collated as PyTorch's
    ``default_collate`` (:mod:`nnblocks.data.collate`): an ``(x, y)`` example gives an
    ``[x_batch, y_batch]`` batch of :class:`~nnblocks.Tensor` (``requires_grad=False``), numbers
    become tensors, dicts are collated key by key. The order is ``0 .. n-1`` unless
    ``shuffle=True`` (PyTorch's default, False) or a ``sampler`` / ``batch_sampler`` says
    otherwise.

    Args:
        dataset: anything with ``len`` and ``__getitem__`` (a :class:`~nnblocks.data.Dataset`).
            A dataset's ``__getitems__(indices)`` is used as PyTorch does (it returns a list of
            examples); nnblocks' in-memory datasets (``batched_getitems = True``) hand over the
            stacked batch directly.
        batch_size: examples per batch; ``None`` turns batching off (each example converted
            with ``default_convert``, as PyTorch).
        shuffle: a new random order every epoch, drawn from ``generator`` (default False).
        sampler: an iterable of indices giving each epoch's order (e.g. a
            :class:`~nnblocks.data.DistributedSampler`); exclusive with ``shuffle``.
        batch_sampler: an iterable of index lists, one per batch; exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: 0 reads batches in the calling thread. ``> 0`` reads them in that many
            background **threads** (not processes, unlike PyTorch), each preparing batches ahead,
            up to ``num_workers * prefetch_factor`` at a time; batches are still handed out in
            order. Threads help when ``__getitem__`` releases the GIL (file reads, NumPy);
            ``worker_init_fn(worker_id)`` runs once in each thread.
        collate_fn: turns a list of examples into a batch (default :func:`default_collate`).
        pin_memory, pin_memory_device, persistent_workers, in_order: accepted and ignored (there
            is no device memory to pin; threads are started per epoch; batches are always in
            order).
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from a worker thread (0: no limit).
        generator: the :class:`numpy.random.Generator` that draws the shuffled orders (nnblocks'
            generator type; a ``torch.Generator`` is refused). Default: nnblocks' default
            generator (:func:`nnblocks.manual_seed`), looked up when each epoch starts.
        rng: nnblocks' name for ``generator``.
        as_tensor: wrap batches in tensors (default) or leave NumPy arrays (nnblocks' option).

    ``multiprocessing_context`` must stay None (workers are threads).

    Resuming: :meth:`state_dict` records the epoch count, the current epoch's order, how many of
    its batches were handed out, and the generator's state. After :meth:`load_state_dict`, the
    next iteration continues the interrupted epoch from the next batch (or starts the next epoch
    when the saved one was complete), so the batches equal those of an uninterrupted run.

    >>> from nnblocks.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2)
    >>> [b[0].tolist() for b in loader]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        rng: np.random.Generator | None = None,
        as_tensor: bool = True,
    ) -> None:
        _check_workers(num_workers, prefetch_factor, persistent_workers, timeout,
                       multiprocessing_context)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; "
                             "leave shuffle unset (the sampler decides the order)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        if isinstance(dataset, IterableDataset):
            _check_iterable(shuffle, sampler, batch_sampler, num_workers)
        if generator is not None and rng is not None:
            raise ValueError("DataLoader: give generator= or rng= (the same argument), not both")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = check_generator(generator if generator is not None else rng,
                                         "DataLoader")
        self.as_tensor = bool(as_tensor)
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.num_workers = int(num_workers)
        self.prefetch_factor = 2 if prefetch_factor is None else int(prefetch_factor)
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.pin_memory = bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self._sampler = sampler
        self.epoch = 0                      # completed epochs
        self._order: np.ndarray | None = None
        self._bounds: np.ndarray | None = None
        self._position = 0                  # batches of the current order already handed out
        self._resume = False                # the next __iter__ continues a loaded epoch

    # ------------------------------------------------------------------ order
    @property
    def rng(self) -> np.random.Generator:
        """The generator drawing the shuffled orders (the default one when none was given)."""
        return get_rng(self.generator)

    @property
    def sampler(self) -> Any:
        """The sampler given, else PyTorch's default: sequential, or random with shuffle."""
        if self._sampler is not None:
            return self._sampler
        if self.shuffle:
            return RandomSampler(self.dataset, generator=self.generator)
        return SequentialSampler(self.dataset)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self._iterable else self._epoch_length()
        if self.batch_size is None:
            return n
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    @property
    def _iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    def _epoch_length(self) -> int:
        return len(self.dataset) if self._sampler is None else len(self._sampler)

    def _start_epoch(self) -> None:
        if self.batch_sampler is not None:
            batches = [np.asarray(list(b), dtype=np.int64) for b in self.batch_sampler]
            lengths = [len(b) for b in batches]
            self._order = np.concatenate(batches) if batches else np.zeros(0, np.int64)
            self._bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        else:
            if self._sampler is not None:
                self._order = np.fromiter(iter(self._sampler), dtype=np.int64)
            else:
                n = len(self.dataset)
                self._order = self.rng.permutation(n) if self.shuffle else np.arange(n)
            self._bounds = self._regular_bounds()
        self._position = 0

    def _regular_bounds(self) -> np.ndarray:
        step = 1 if self.batch_size is None else self.batch_size
        stops = np.minimum(np.arange(1, len(self) + 1) * step, len(self._order))
        return np.concatenate([[0], stops]).astype(np.int64)

    def _indices(self, k: int) -> np.ndarray:
        return self._order[self._bounds[k]:self._bounds[k + 1]]

    # ------------------------------------------------------------------ batches
    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iterate_stream()
            self.epoch += 1
            return
        if not self._resume:
            self._start_epoch()
        self._resume = False
        if self.num_workers > 0:
            yield from self._threaded()
        else:
            while self._position < len(self._bounds) - 1:
                indices = self._indices(self._position)
                self._position += 1             # counted before yielding: state_dict() taken now
                yield self._fetch(indices)      # says this batch was already handed out
        self.epoch += 1

    def _iterate_stream(self) -> Iterator[Any]:
        """An iterable-style dataset's examples in batches, in the order they come."""
        if self.batch_size is None:
            for example in self.dataset:
                yield (self.collate_fn(example) if self.collate_fn is not None
                       else default_convert(example, self.as_tensor))
            return
        batch: list = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield self._collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield self._collate(batch)

    def _collate(self, examples: list) -> Any:
        if self.collate_fn is not None:
            return self.collate_fn(examples)
        return default_collate(examples, self.as_tensor)

    def _threaded(self) -> Iterator[Any]:
        """Batches prepared by ``num_workers`` threads, handed out in order."""
        counter = itertools.count()
        lock = threading.Lock()

        def start_worker() -> None:
            if self.worker_init_fn is not None:
                with lock:
                    worker_id = next(counter)
                self.worker_init_fn(worker_id)

        total = len(self._bounds) - 1
        ahead = self.num_workers * self.prefetch_factor
        pending: deque = deque()
        submitted = self._position
        with ThreadPoolExecutor(self.num_workers, thread_name_prefix="nnblocks-loader",
                                initializer=start_worker) as pool:
            try:
                while True:
                    while submitted < total and len(pending) < ahead:
                        pending.append(pool.submit(self._fetch, self._indices(submitted)))
                        submitted += 1
                    if not pending:
                        break
                    batch = pending.popleft().result(timeout=self.timeout or None)
                    self._position += 1
                    yield batch
            finally:
                for future in pending:
                    future.cancel()

    def _fetch(self, indices: np.ndarray) -> Any:
        if self.batch_size is None and self.batch_sampler is None:       # no auto-batching
            example = self.dataset[int(indices[0])]
            if self.collate_fn is not None:
                return self.collate_fn(example)
            return default_convert(example, self.as_tensor)
        if self.collate_fn is None and getattr(self.dataset, "batched_getitems", False):
            batch = self.dataset.__getitems__(indices)    # already stacked: tuple of arrays
            if isinstance(batch, tuple):
                return [self._leaf(b) for b in batch]     # default_collate gives a list
            return self._leaf(batch)
        if hasattr(self.dataset, "__getitems__"):
            examples = self.dataset.__getitems__(indices.tolist())
        else:
            examples = [self.dataset[int(i)] for i in indices]
        return self._collate(examples)

    def _leaf(self, array: Any) -> Any:
        array = array.array if isinstance(array, Tensor) else np.asarray(array)
        return Tensor(array) if self.as_tensor else array

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """The loader's position: epoch, the unfinished epoch's order, batches done, RNG state.
        For an iterable-style dataset only the epoch count (its stream cannot be rewound)."""
        if self._iterable:
            return {"epoch": self.epoch, "position": 0, "order": None, "batch_lengths": None,
                    "rng": self.rng.bit_generator.state, "batch_size": self.batch_size,
                    "dataset_length": -1}
        unfinished = self._order is not None and self._position < len(self._bounds) - 1
        lengths = None
        if unfinished and self.batch_sampler is not None:
            lengths = np.diff(self._bounds)
        return {
            "epoch": self.epoch,
            "position": self._position if unfinished else 0,
            "order": self._order.copy() if unfinished else None,
            "batch_lengths": lengths,
            "rng": self.rng.bit_generator.state,
            "batch_size": self.batch_size,
            "dataset_length": len(self.dataset),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the next iteration continues where that one stopped."""
        n = -1 if self._iterable else len(self.dataset)
        saved_batch = state["batch_size"]
        saved_batch = None if saved_batch is None else int(saved_batch)
        if int(state["dataset_length"]) != n or saved_batch != self.batch_size:
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
        lengths = state.get("batch_lengths")
        if lengths is None and order.shape != (self._epoch_length(),):
            raise ValueError(
                f"DataLoader.load_state_dict: saved order has shape {order.shape}, expected "
                f"({self._epoch_length()},)"
            )
        self._order = order
        if lengths is not None:
            self._bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        else:
            self._bounds = self._regular_bounds()
        self._position = int(state["position"])
        self._resume = True

    def __repr__(self) -> str:
        size = type(self.dataset).__name__ if self._iterable else f"{len(self.dataset)} examples"
        return (
            f"DataLoader({size}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def _check_workers(num_workers: Any, prefetch_factor: Any, persistent_workers: bool,
                   timeout: Any, multiprocessing_context: Any) -> None:
    """PyTorch's checks of the worker options, and nnblocks' one refusal."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
            or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers option should be non-negative; use "
                         f"num_workers=0 to disable multiprocessing (got {num_workers!r})")
    if timeout < 0:
        raise ValueError("DataLoader: timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                         "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 1:
        raise ValueError(f"DataLoader: prefetch_factor must be >= 1, got {prefetch_factor}")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        raise ValueError("DataLoader: nnblocks' workers are threads, not processes; leave "
                         "multiprocessing_context=None (num_workers > 0 starts threads)")


def _check_iterable(shuffle: Any, sampler: Any, batch_sampler: Any, num_workers: int) -> None:
    """PyTorch's refusals for iterable-style datasets, and nnblocks' one about workers."""
    for name, value in (("shuffle", shuffle), ("sampler", sampler),
                        ("batch_sampler", batch_sampler)):
        if value not in (None, False):
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                             f"option, but got {name}={value!r}")
    if num_workers:
        raise ValueError("DataLoader: nnblocks' worker threads read map-style datasets only; "
                         "use num_workers=0 with an IterableDataset (it is read in the calling "
                         "thread, in order)")
