"""Training: the ``fit`` loop, evaluation, callbacks, and the NaN/inf guard."""

from nnblocks.train.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    GradNormLogger,
    JSONLinesLogger,
    restore_callbacks,
)
from nnblocks.train.guard import NonFiniteError
from nnblocks.train.loop import History, TrainState, accuracy_count, evaluate, fit
from nnblocks.train.tensorboard import TensorBoard

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "GradNormLogger",
    "History",
    "JSONLinesLogger",
    "NonFiniteError",
    "TensorBoard",
    "TrainState",
    "accuracy_count",
    "evaluate",
    "fit",
    "restore_callbacks",
]
