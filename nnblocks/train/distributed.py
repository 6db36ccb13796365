"""Callbacks for data-parallel ``fit``: rank 0 writes, every rank reads the same epoch order.

With :class:`~nnblocks.nn.parallel.DistributedDataParallel` every rank runs :func:`fit` on its
share of each batch (a :class:`~nnblocks.data.DistributedSampler`), and the replicas stay
identical. These callbacks make the rest of a run distributed-aware:

- :class:`DistributedCheckpoint`: only rank 0 writes (atomically, as :class:`Checkpoint`), and
  it saves the wrapped model (``ddp.module``), so the file loads into a plain model and resumes
  with any number of processes.
- :class:`SetSamplerEpoch`: calls ``sampler.set_epoch(epoch)`` before every epoch, as a
  PyTorch loop does by hand, so every epoch has a new order, the same on every rank.
- :class:`RankZero`: runs a callback (a logger) on rank 0 only.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nnblocks import distributed as dist
from nnblocks.train.callbacks import Callback, Checkpoint


def unwrap(model: Any) -> Any:
    """The module inside a ``DistributedDataParallel`` wrapper, or ``model`` itself."""
    from nnblocks.nn.parallel import DistributedDataParallel

    return model.module if isinstance(model, DistributedDataParallel) else model


class DistributedCheckpoint(Checkpoint):
    """:class:`Checkpoint` written by rank 0 only, holding the unwrapped model."""

    def on_epoch_complete(self, state: Any) -> None:
        self.last_state = state
        if dist.get_rank() == 0:
            super().on_epoch_complete(state)

    def save(self, path: Path, state: Any) -> Path:
        if dist.get_rank() != 0:
            return path
        return super().save(path, dataclasses.replace(state, model=unwrap(state.model)))


class SetSamplerEpoch(Callback):
    """Before each epoch, ``train_loader.sampler.set_epoch(epoch)`` (0-based)."""

    def on_epoch_begin(self, state: Any) -> None:
        sampler = getattr(state.train_loader, "sampler", None)
        if sampler is not None and hasattr(sampler, "set_epoch"):
            sampler.set_epoch(state.epoch)


class RankZero(Callback):
    """Forward every hook to ``callback`` on rank 0; do nothing on the other ranks."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback

    def _call(self, hook: str, state: Any) -> Any:
        method = getattr(self.callback, hook, None)
        if method is None or dist.get_rank() != 0:
            return None
        return method(state)

    def on_train_begin(self, state: Any) -> None:
        self._call("on_train_begin", state)

    def on_epoch_begin(self, state: Any) -> None:
        self._call("on_epoch_begin", state)

    def on_after_backward(self, state: Any) -> None:
        self._call("on_after_backward", state)

    def on_batch_end(self, state: Any) -> None:
        self._call("on_batch_end", state)

    def epoch_metrics(self, state: Any) -> dict[str, Any]:
        return self._call("epoch_metrics", state) or {}

    def on_epoch_end(self, state: Any) -> None:
        self._call("on_epoch_end", state)

    def on_epoch_complete(self, state: Any) -> None:
        self._call("on_epoch_complete", state)

    def on_train_end(self, state: Any) -> None:
        self._call("on_train_end", state)
