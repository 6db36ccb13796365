r"""A TensorBoard dashboard of a run: the callback behind ``fit(..., tensorboard=DIR)`` and
``nnblocks train --tensorboard``.

Event files are written with ``tensorboardX`` (the ``tensorboard`` extra) and read by TensorBoard
(``tensorboard --logdir DIR``). Tags, with their step:

=============================  ===========================================================
``train/loss``, ``train/lr``   every optimizer step (global step across resumed runs)
``grad_norm/<parameter>``      every step: :math:`\lVert g_p \rVert_2` per parameter — the BPTT
                               diagnostics of vanishing and exploding gradients per layer
``grad_norm/total``            every step: :math:`\sqrt{\sum_p \lVert g_p \rVert_2^2}`
``epoch/<key>``                every epoch: each number of the epoch's record (loss,
                               accuracy, val_loss, val_accuracy, lr, seconds...)
``weights/<parameter>``        every epoch: histogram of the values
``grads/<parameter>``          every epoch: histogram of the last step's gradient
``filters/<parameter>``        every epoch: the first layer's filters as an image grid
hparams                        the hyper-parameters, with the final ``hparam/*`` metrics
=============================  ===========================================================
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.train.callbacks import Callback
from nnblocks.viz.filters import filter_grid, first_layer_weight

#: the final metrics shown beside the hyper-parameters (epoch record key -> hparams tag)
HPARAM_METRICS = {"loss": "hparam/loss", "accuracy": "hparam/accuracy",
                  "val_loss": "hparam/val_loss", "val_accuracy": "hparam/val_accuracy"}


def _writer(log_dir: Path) -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("TensorBoard logging needs tensorboardX: pip install "
                          "'nnblocks[tensorboard]'") from None
    # tensorboardX names the file after the second it opens it: a resumed run starting within the
    # same second would overwrite the first file, so the name also gets the nanoseconds
    return SummaryWriter(logdir=str(log_dir), filename_suffix=f".{time.time_ns() % 10**9:09d}")


def default_hparams(state: Any) -> dict[str, Any]:
    """What a run is defined by, read from the objects: model and optimizer class, the
    optimizer's numeric settings, epochs and batch size."""
    hp: dict[str, Any] = {"model": type(state.model).__name__,
                          "optimizer": type(state.optimizer).__name__,
                          "epochs": int(state.epochs)}
    groups = getattr(state.optimizer, "param_groups", None) or [{}]
    for key, value in groups[0].items():
        if isinstance(value, (bool, int, float, str)) and key != "params":
            hp[key] = value
        elif isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value):
            hp[key] = str(value)
    batch_size = getattr(state.train_loader, "batch_size", None)
    if batch_size is not None:
        hp["batch_size"] = int(batch_size)
    return hp


class TensorBoard(Callback):
    """Write the run's scalars, histograms, filters and hyper-parameters to ``log_dir``.

    Args:
        log_dir: directory of the event files (created).
        hparams: hyper-parameters to record (numbers, strings, bools); default
            :func:`default_hparams`.
        image_shape: ``(C, H, W)`` of one input, to draw a dense first layer's rows as images.
    """

    def __init__(self, log_dir: str | os.PathLike, hparams: dict[str, Any] | None = None,
                 image_shape: tuple[int, ...] | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.hparams = hparams
        self.image_shape = image_shape
        self.writer: Any = None
        self.recorded: dict[str, Any] = {}

    def global_step(self, state: Any) -> int:
        """Steps since the run began, also across a resume (epochs done × batches per epoch)."""
        return state.epoch * len(state.train_loader) + state.batch

    def on_train_begin(self, state: Any) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.writer = _writer(self.log_dir)
        hp = self.hparams if self.hparams is not None else default_hparams(state)  # before decay
        self.recorded = {k: v if isinstance(v, (bool, int, float, str)) else str(v)
                         for k, v in hp.items()}

    def on_after_backward(self, state: Any) -> None:
        step = self.global_step(state)
        total = 0.0
        for name, p in state.model.named_parameters():
            if p.grad is not None:
                g = p.grad.array.astype(np.float64, copy=False).ravel()
                square = float(np.dot(g, g))
                total += square
                self.writer.add_scalar(f"grad_norm/{name}", math.sqrt(square), step)
        self.writer.add_scalar("grad_norm/total", math.sqrt(total), step)

    def on_batch_end(self, state: Any) -> None:
        step = self.global_step(state)
        loss = getattr(state, "loss", None)
        if loss is not None:
            self.writer.add_scalar("train/loss", loss, step)
        groups = getattr(state.optimizer, "param_groups", None)
        if groups:
            self.writer.add_scalar("train/lr", float(groups[0]["lr"]), step)

    def on_epoch_end(self, state: Any) -> None:
        record = state.history.last
        epoch = int(record["epoch"])
        for key, value in record.items():
            if key != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(f"epoch/{key}", float(value), epoch)
        for name, p in state.model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", p.array.astype(np.float64), epoch)
            if p.grad is not None:
                self.writer.add_histogram(f"grads/{name}", p.grad.array.astype(np.float64), epoch)
        first = first_layer_weight(state.model)
        if first is not None:
            grid = filter_grid(first[1], self.image_shape)       # (H, W) in [0, 1]
            self.writer.add_image(f"filters/{first[0]}", grid[None], epoch, dataformats="CHW")
        self.writer.flush()

    def on_train_end(self, state: Any) -> None:
        from tensorboardX.summary import hparams as hparams_summary

        last = state.history.last or {}
        metrics = {tag: float(last[key]) for key, tag in HPARAM_METRICS.items()
                   if isinstance(last.get(key), (int, float))}
        for summary in hparams_summary(self.recorded, metrics):
            self.writer.file_writer.add_summary(summary)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, int(last.get("epoch", 0)))
        self.writer.close()
