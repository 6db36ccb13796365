"""Modules: layers that own their parameters and compose blocks (``import nnblocks.nn as nn``)."""

from nnblocks.nn import init
from nnblocks.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from nnblocks.nn.container import ModuleDict, ModuleList, Sequential
from nnblocks.nn.dropout import Dropout
from nnblocks.nn.linear import Identity, Linear, Maxout
from nnblocks.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nnblocks.nn.mlp import MLP
from nnblocks.nn.module import Module
from nnblocks.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from nnblocks.nn.parameter import Parameter
from nnblocks.nn.perceptron import Perceptron

__all__ = ["Module", "Parameter", "init"]
__all__ += [
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "Dropout", "ELU",
    "GELU", "GroupNorm", "Identity", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP",
    "MSELoss", "Maxout", "ModuleDict", "ModuleList", "NLLLoss", "Perceptron", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh",
]
