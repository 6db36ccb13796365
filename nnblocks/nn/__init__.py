"""Modules: layers that own their parameters and compose blocks (``import nnblocks.nn as nn``)."""

from nnblocks.nn import functional, init, parallel, utils
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
from nnblocks.nn.activation_extra import GLU, Hardtanh, LogSigmoid, PReLU, ReLU6, SiLU, Softsign
from nnblocks.nn.container import ModuleDict, ModuleList, Sequential
from nnblocks.nn.container_params import ParameterDict, ParameterList
from nnblocks.nn.conv import Conv1d, Conv2d, sobel
from nnblocks.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d
from nnblocks.nn.dropout import Dropout, Dropout1d, Dropout2d
from nnblocks.nn.embedding import Embedding
from nnblocks.nn.flatten import Flatten, Unflatten
from nnblocks.nn.gru import GRU, GRUCell
from nnblocks.nn.linear import Identity, Linear, Maxout
from nnblocks.nn.local import LocallyConnected1d, LocallyConnected2d
from nnblocks.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nnblocks.nn.loss_pointwise import BCELoss, HuberLoss, KLDivLoss, L1Loss, SmoothL1Loss
from nnblocks.nn.lstm import LSTM, LSTMCell
from nnblocks.nn.mlp import MLP
from nnblocks.nn.module import Module
from nnblocks.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from nnblocks.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from nnblocks.nn.parameter import Parameter
from nnblocks.nn.perceptron import Perceptron
from nnblocks.nn.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    GlobalAvgPool2d,
    GlobalMaxPool2d,
    MaxPool1d,
    MaxPool2d,
)
from nnblocks.nn.rnn import RNN, RNNCell
from nnblocks.nn.sync_batchnorm import SyncBatchNorm
from nnblocks.nn.upsample import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Module", "Parameter", "init"]
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]
__all__ += ["functional", "utils"]
__all__ += [
    "BCELoss", "Dropout1d", "Dropout2d", "Embedding", "HuberLoss", "L1Loss", "SmoothL1Loss",
]
__all__ += ["SyncBatchNorm", "parallel"]
__all__ += ["ConvTranspose1d", "ConvTranspose2d"]
__all__ += [
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "Dropout", "ELU",
    "GELU", "GroupNorm", "Identity", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP",
    "MSELoss", "Maxout", "ModuleDict", "ModuleList", "NLLLoss", "Perceptron", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh",
]
__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AvgPool1d", "AvgPool2d", "Conv1d", "Conv2d", "Flatten", "GlobalAvgPool2d", "GlobalMaxPool2d",
    "LocallyConnected1d", "LocallyConnected2d", "MaxPool1d", "MaxPool2d", "sobel",
]
__all__ += [
    "CircularPad1d", "CircularPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "Upsample",
    "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d",
]
__all__ += [
    "GLU", "Hardtanh", "KLDivLoss", "LogSigmoid", "PReLU", "ParameterDict", "ParameterList",
    "ReLU6", "SiLU", "Softsign", "Unflatten",
]
