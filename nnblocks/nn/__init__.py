"""Modules: layers that own their parameters and compose blocks (``import nnblocks.nn as nn``)."""

from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter

__all__ = ["Module", "Parameter", "init"]
