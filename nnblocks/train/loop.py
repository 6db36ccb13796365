"""The training loop: ``fit`` runs epochs of mini-batch steps and returns the per-epoch history.

One step, in the order every PyTorch loop has it::

    optimizer.zero_grad()
    output = model(inputs)
    loss = loss_fn(output, targets)      # guard: a non-finite loss stops training
    loss.backward()                      # guard: a non-finite gradient stops training
    optimizer.step()                     # guard: so does a parameter the update made non-finite

An epoch is a pass over ``train_loader``, then an evaluation on ``val_loader``, then one
``scheduler.step()``; callbacks see the state after each epoch (to log it, save a checkpoint,
or stop early).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnblocks.core import Tensor, no_grad
from nnblocks.train.guard import check_gradients, check_loss, check_parameters
from nnblocks.train.progress import EpochBar


def as_array(x: Any) -> np.ndarray:
    """The array of a tensor, or ``x`` as an array."""
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def accuracy_count(output: Any, targets: Any) -> int | None:
    """Correct predictions in a batch (argmax of the last axis), or None where it doesn't apply.

    Applies when the targets are integer class labels and the output has one more axis (the
    classes, last): ``(N, C)`` vs ``(N,)``, or ``(N, T, C)`` vs ``(N, T)`` for sequences.
    """
    out = as_array(output)
    tgt = as_array(targets)
    if not np.issubdtype(tgt.dtype, np.integer) or out.shape[:-1] != tgt.shape:
        return None
    return int((out.argmax(axis=-1) == tgt).sum())


class History(list):
    """The per-epoch records (dicts) of a run, in order; ``column("loss")`` gives one series."""

    def column(self, key: str) -> list[Any]:
        return [record.get(key) for record in self]

    @property
    def last(self) -> dict[str, Any] | None:
        return self[-1] if self else None


@dataclass
class TrainState:
    """What callbacks see: the objects being trained and where the loop is."""

    model: Any
    loss_fn: Any
    optimizer: Any
    train_loader: Any
    val_loader: Any = None
    scheduler: Any = None
    epochs: int = 0
    epoch: int = 0                    # epochs completed
    step: int = 0                     # optimizer steps taken in this call of fit
    batch: int = 0                    # batches done in the current epoch
    history: History = field(default_factory=History)
    callbacks: Sequence[Any] = ()
    stop: bool = False                # set by a callback to end training after this epoch
    loss: float | None = None         # the last step's loss (batch mean)

    def where(self) -> str:
        return f"step {self.step} (epoch {self.epoch + 1}, batch {self.batch})"


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    train_loader: Any,
    *,
    epochs: int,
    val_loader: Any = None,
    scheduler: Any = None,
    callbacks: Sequence[Any] = (),
    start_epoch: int = 0,
    history: Sequence[dict[str, Any]] = (),
    progress: bool = True,
    tensorboard: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` for epochs ``start_epoch + 1 .. epochs``; return the history of all epochs.

    Args:
        model: a Module mapping an input batch to outputs.
        loss_fn: ``loss_fn(output, targets)`` returning a scalar tensor (the batch mean).
        optimizer: updates the parameters from their gradients (``zero_grad``, ``step``).
        train_loader: yields ``(inputs, targets)`` batches, one epoch per iteration.
        epochs: the total number of epochs (a resumed run counts the epochs already done).
        val_loader: evaluated after every epoch (``val_loss``, ``val_accuracy``).
        scheduler: stepped once after every epoch.
        callbacks: objects with any of the hooks of :class:`~nnblocks.train.Callback`.
        start_epoch: epochs already done (resuming from a checkpoint).
        history: records of those epochs, continued by this call.
        progress: show a progress bar per epoch (only when stderr is a terminal).
        tensorboard: a directory to write TensorBoard event files to (a
            :class:`~nnblocks.train.tensorboard.TensorBoard` callback; needs tensorboardX).

    Each record holds ``epoch``, ``loss``, ``accuracy`` (None where it does not apply), ``lr``
    (the rate used during the epoch), ``samples_per_second``, ``seconds``, the validation
    metrics, and what callbacks add. A non-finite loss, gradient or updated parameter raises
    :class:`~nnblocks.train.NonFiniteError` naming the step and the parameter, before any
    callback could save the bad state.
    """
    from nnblocks.kernels import pad_heap

    pad_heap()                                   # reuse freed memory between steps (kernels/)
    if tensorboard is not None:
        from nnblocks.train.tensorboard import TensorBoard

        callbacks = (*callbacks, TensorBoard(tensorboard))
    state = TrainState(model, loss_fn, optimizer, train_loader, val_loader, scheduler,
                       epochs=epochs, epoch=start_epoch, history=History(history),
                       callbacks=tuple(callbacks))
    _notify(state, "on_train_begin")
    for epoch in range(start_epoch, epochs):
        state.epoch = epoch
        _notify(state, "on_epoch_begin")
        started = time.perf_counter()
        record = {"epoch": epoch + 1, "lr": _learning_rate(optimizer)}
        bar = EpochBar(len(train_loader), epoch + 1, epochs, enabled=progress)
        record.update(train_one_epoch(state, bar))
        if val_loader is not None:
            val = evaluate(model, loss_fn, val_loader)
            record["val_loss"], record["val_accuracy"] = val["loss"], val["accuracy"]
        if scheduler is not None:
            scheduler.step()
        for callback in state.callbacks:
            record.update(getattr(callback, "epoch_metrics", lambda s: {})(state))
        record["seconds"] = time.perf_counter() - started
        bar.close(record)
        state.history.append(record)
        state.epoch = epoch + 1
        _notify(state, "on_epoch_end")
        _notify(state, "on_epoch_complete")
        if state.stop:
            break
    _notify(state, "on_train_end")
    return state.history


def train_one_epoch(state: TrainState, bar: EpochBar) -> dict[str, Any]:
    """One pass over the training loader; returns the epoch's mean loss, accuracy and speed."""
    model, optimizer = state.model, state.optimizer
    model.train()
    loss_sum, correct, seen, counted = 0.0, 0, 0, 0
    started = time.perf_counter()
    state.batch = 0
    for inputs, targets in state.train_loader:
        state.step += 1
        state.batch += 1
        optimizer.zero_grad()
        output = model(inputs)
        loss = state.loss_fn(output, targets)
        check_loss(loss, model, state.where())
        loss.backward()
        check_gradients(model, state.where())
        _notify(state, "on_after_backward")
        optimizer.step()
        check_parameters(model, state.where())
        n = len(targets)
        state.loss = float(loss.item())
        loss_sum += state.loss * n
        seen += n
        hits = accuracy_count(output, targets)
        if hits is not None:
            correct += hits
            counted += as_array(targets).size
        bar.update(loss_sum / seen, correct / counted if counted else None, seen)
        _notify(state, "on_batch_end")
    elapsed = time.perf_counter() - started
    return {
        "loss": loss_sum / max(seen, 1),
        "accuracy": correct / counted if counted else None,
        "samples_per_second": seen / max(elapsed, 1e-9),
    }


def evaluate(model: Any, loss_fn: Callable[[Any, Any], Any], loader: Any) -> dict[str, Any]:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode and without gradients.

    The model is left in eval mode; :func:`fit` switches it back to training at each epoch.
    """
    model.eval()
    loss_sum, correct, seen, counted = 0.0, 0, 0, 0
    with no_grad():
        for inputs, targets in loader:
            output = model(inputs)
            n = len(targets)
            loss_sum += float(loss_fn(output, targets).item()) * n
            seen += n
            hits = accuracy_count(output, targets)
            if hits is not None:
                correct += hits
                counted += as_array(targets).size
    return {
        "loss": loss_sum / max(seen, 1),
        "accuracy": correct / counted if counted else None,
        "samples": seen,
    }


def _learning_rate(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else None


def _notify(state: TrainState, hook: str) -> None:
    for callback in state.callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(state)
