"""``DistributedSampler``: each process's share of every epoch's order (PyTorch's semantics)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np


class DistributedSampler:
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` reads in an epoch.

    Every process draws the same permutation of all ``n`` indices (from ``seed + epoch``), pads
    it by repeating its beginning to a multiple of ``num_replicas`` (or, with ``drop_last``,
    cuts it to one), and takes every ``num_replicas``-th index starting at ``rank``. With
    per-process batches of ``b`` examples, step k of process r therefore reads global
    positions ``r, r + P, ...`` of the k-th block of ``b·P``: the union over processes of step k
    is the k-th batch of one process reading the same permutation in batches of ``b·P``.

    Args:
        dataset: anything with ``len()``.
        num_replicas: number of processes (default: the process group's world size).
        rank: this process (default: the process group's rank).
        shuffle: a new permutation each epoch (else ``0 .. n-1``).
        seed: the same on every process.
        drop_last: drop the tail instead of padding, so no example is read twice in an epoch.

    Call :meth:`set_epoch` before each epoch (as in PyTorch), or every epoch repeats one order.
    Inside an initialized process group of ``num_replicas`` ranks the constructor is collective:
    it checks that every rank passed the same seed, shuffle, drop_last and dataset length
    (:func:`nnblocks.distributed.check_same`), since ranks that disagree would silently read
    overlapping shares.

    >>> [list(DistributedSampler(range(5), 2, r, shuffle=False)) for r in (0, 1)]
    [[0, 2, 4], [1, 3, 0]]
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        from nnblocks import distributed as dist

        if num_replicas is None or rank is None:
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {num_replicas}) with "
                             f"num_replicas >= 1, got rank {rank}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if drop_last:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        if dist.is_initialized() and dist.get_world_size() == self.num_replicas > 1:
            # ranks that disagree here would read overlapping shares without any error
            dist.check_same("DistributedSampler settings (seed, shuffle, drop_last, dataset "
                            "length)", [self.seed, self.shuffle, self.drop_last, n])

    def global_order(self) -> np.ndarray:
        """This epoch's permutation of all indices, before padding and splitting."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = np.random.default_rng([self.seed, self.epoch])
        return rng.permutation(n)

    def __iter__(self) -> Iterator[int]:
        order = self.global_order()
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > len(order):
            repeats = math.ceil(self.total_size / max(len(order), 1))
            order = np.concatenate([order] * (repeats + 1))[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation of epoch ``epoch`` (the same value on every process)."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "seed": self.seed, "shuffle": self.shuffle,
                "drop_last": self.drop_last, "num_replicas": self.num_replicas}
