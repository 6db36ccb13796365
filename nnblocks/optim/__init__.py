"""Optimizers and learning-rate schedules of the lecture (``import nnblocks.optim as optim``).

Each optimizer has PyTorch's name, constructor arguments and defaults, and its algorithm written
as pseudocode in its docstring; ``optim.lr_scheduler`` holds the schedules.
"""

from nnblocks.optim import lr_scheduler
from nnblocks.optim.adadelta import Adadelta
from nnblocks.optim.adagrad import Adagrad
from nnblocks.optim.adam import Adam, AdamW
from nnblocks.optim.delta_bar_delta import DeltaBarDelta
from nnblocks.optim.lbfgs import LBFGS
from nnblocks.optim.optimizer import Optimizer, required
from nnblocks.optim.rmsprop import RMSprop
from nnblocks.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "DeltaBarDelta",
    "Optimizer",
    "RMSprop",
    "lr_scheduler",
    "required",
]
