"""Callbacks: objects whose hooks :func:`~nnblocks.train.fit` calls with the
:class:`~nnblocks.train.TrainState` — early stopping, checkpoints, a JSON-lines log, gradient norms.

Hooks, in the order they run: ``on_train_begin``; per epoch ``on_epoch_begin``, per step
``on_after_backward`` (gradients are there, the update is not done yet) and ``on_batch_end``,
then ``epoch_metrics`` (returns entries to add to the epoch's record), ``on_epoch_end`` (the
record is in ``state.history``; a callback may set ``state.stop``) and ``on_epoch_complete``
(after every ``on_epoch_end``: where :class:`Checkpoint` saves, so the states it saves are
final); finally ``on_train_end``. A callback with state to resume
implements ``state_dict`` / ``load_state_dict``; :class:`Checkpoint` saves those states.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.io import save_checkpoint


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, state: Any) -> None: ...

    def on_epoch_begin(self, state: Any) -> None: ...

    def on_after_backward(self, state: Any) -> None: ...

    def on_batch_end(self, state: Any) -> None: ...

    def epoch_metrics(self, state: Any) -> dict[str, Any]:
        return {}

    def on_epoch_end(self, state: Any) -> None: ...

    def on_epoch_complete(self, state: Any) -> None: ...

    def on_train_end(self, state: Any) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class _Monitor:
    """Tracks the best value of one metric (``mode`` "min" or "max", with a margin)."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, min_delta
        self.best: float | None = None

    def value(self, state: Any) -> float:
        value = state.history.last.get(self.monitor)
        if value is None:
            raise KeyError(
                f"{self.owner}: the epoch record has no '{self.monitor}' "
                f"(has {sorted(state.history.last)}); is a validation loader given?"
            )
        return float(value)

    def improved(self, value: float) -> bool:
        if self.best is None or math.isnan(self.best):
            return not math.isnan(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: a key of the epoch record (default ``val_loss``).
        patience: epochs without improvement tolerated.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(
        self, monitor: str = "val_loss", patience: int = 5, mode: str = "min",
        min_delta: float = 0.0,
    ) -> None:
        self.tracker = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.patience = int(patience)
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, state: Any) -> None:
        value = self.tracker.value(state)
        if self.tracker.improved(value):
            self.tracker.best = value
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True
            self.stopped_epoch = state.epoch

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.tracker.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.tracker.best, self.wait = state["best"], int(state["wait"])


class Checkpoint(Callback):
    """Save a checkpoint every ``every`` epochs (and at the last), and the best one on ``monitor``.

    Files in ``directory``: ``filename`` (the latest state, for resuming) and, when the record
    has ``monitor``, ``best_filename`` whenever it improves. Each checkpoint holds the model,
    optimizer, scheduler, training loader and ``rng`` states, the epoch, the history as
    ``metrics``, ``config``, and the states of the run's callbacks, so a run resumes exactly.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        every: int = 1,
        filename: str = "checkpoint.npz",
        best_filename: str | None = "best.npz",
        monitor: str = "val_loss",
        mode: str = "min",
        config: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"Checkpoint: every must be >= 1, got {every}")
        self.directory = Path(directory)
        self.every = int(every)
        self.filename = filename
        self.best_filename = best_filename
        self.tracker = _Monitor("Checkpoint", monitor, mode)
        self.config = config
        self.rng = rng
        self.extra_metrics: dict[str, Any] = {}     # saved beside the history (e.g. test results)
        self.last_state: Any = None                 # the TrainState of the last epoch seen

    @property
    def path(self) -> Path:
        return self.directory / self.filename

    def on_epoch_complete(self, state: Any) -> None:
        self.last_state = state
        if self.best_filename and state.history.last.get(self.tracker.monitor) is not None:
            value = self.tracker.value(state)
            if self.tracker.improved(value):
                self.tracker.best = value
                self.save(self.directory / self.best_filename, state)
        last = state.epoch >= state.epochs or state.stop
        if state.epoch % self.every == 0 or last:
            self.save(self.path, state)

    def save(self, path: Path, state: Any) -> Path:
        callbacks = {f"{i}:{type(c).__name__}": c.state_dict()
                     for i, c in enumerate(state.callbacks) if hasattr(c, "state_dict")}
        return save_checkpoint(
            path,
            model=state.model,
            optimizer=state.optimizer,
            scheduler=state.scheduler,
            loader=state.train_loader,
            epoch=state.epoch,
            rng=self.rng,
            metrics={"history": list(state.history), **self.extra_metrics},
            config=self.config,
            extra={"callbacks": callbacks},
        )

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.tracker.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.tracker.best = state["best"]


def restore_callbacks(callbacks: Any, saved: dict[str, Any] | None) -> None:
    """Give each callback the state a :class:`Checkpoint` saved for it (matched by position
    and class name)."""
    saved = saved or {}
    for i, callback in enumerate(callbacks):
        key = f"{i}:{type(callback).__name__}"
        if key in saved and hasattr(callback, "load_state_dict"):
            callback.load_state_dict(saved[key])


class JSONLinesLogger(Callback):
    """Write each epoch's record to ``path`` as one JSON line.

    At the start of training the file is rewritten with the records already in the history
    (none for a new run; those restored from the checkpoint for a resumed one), so the file
    always matches the run's history. With ``append`` the existing file is kept as it is.
    """

    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        self.path = Path(path)
        self.append = append

    def on_train_begin(self, state: Any) -> None:
        if not self.append:
            self.path.write_text("".join(json.dumps(r) + "\n" for r in state.history))

    def on_epoch_end(self, state: Any) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(state.history.last) + "\n")


class GradNormLogger(Callback):
    r"""Global gradient norm :math:`\|g\|_2 = \sqrt{\sum_p \sum_i g_{p,i}^2}` after each backward.

    Adds ``grad_norm_mean`` and ``grad_norm_max`` over the epoch's steps to the record, and with
    ``per_parameter`` the last step's norm of each parameter as ``grad_norm/<name>``. The norms
    of every step of the current epoch are in ``norms``.
    """

    def __init__(self, per_parameter: bool = False) -> None:
        self.per_parameter = per_parameter
        self.norms: list[float] = []
        self.last_per_parameter: dict[str, float] = {}

    def on_epoch_begin(self, state: Any) -> None:
        self.norms = []

    def on_after_backward(self, state: Any) -> None:
        squares = {}
        for name, p in state.model.named_parameters():
            if p.grad is not None:
                g = p.grad.array.astype(np.float64, copy=False)
                squares[name] = float(np.dot(g.ravel(), g.ravel()))
        self.norms.append(math.sqrt(sum(squares.values())))
        if self.per_parameter:
            self.last_per_parameter = {n: math.sqrt(s) for n, s in squares.items()}

    def epoch_metrics(self, state: Any) -> dict[str, Any]:
        if not self.norms:
            return {}
        out = {"grad_norm_mean": float(np.mean(self.norms)),
               "grad_norm_max": float(np.max(self.norms))}
        for name, value in self.last_per_parameter.items():
            out[f"grad_norm/{name}"] = value
        return out
