"""Padding layers, as ``torch.nn.ZeroPad2d``, ``ConstantPad1d`` ... ``CircularPad2d``: each one
calls :func:`nnblocks.functional.padding.pad` with its mode.

>>> import nnblocks as nb
>>> nb.nn.ReflectionPad1d(2)(nb.tensor(np.arange(3.0).reshape(1, 1, 3))).tolist()
[[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.padding import pad
from nnblocks.nn.module import Module


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, (int, np.integer)):
            padding = (int(padding),) * (2 * self.dims)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or "
                             f"{2 * self.dims} ints, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "constant":
            return pad(x, self.padding, "constant", self.value)
        return pad(x, self.padding, self.mode)

    def extra_repr(self) -> str:
        if self.mode == "constant" and not type(self).__name__.startswith("Zero"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last axis with ``value``: ``(N, C, W) -> (N, C, l + W + r)``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last two axes with ``value``; ``padding`` is ``(left, right, top, bottom)``."""

    dims = 2

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad1d(_PadNd):
    """Pad the last axis with zeros."""


class ZeroPad2d(_PadNd):
    """Pad the last two axes with zeros; ``padding`` is ``(left, right, top, bottom)``."""

    dims = 2


class ReflectionPad1d(_PadNd):
    """Pad the last axis by reflection (the edge is not repeated)."""

    mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two axes by reflection."""

    mode = "reflect"
    dims = 2


class ReplicationPad1d(_PadNd):
    """Pad the last axis by repeating the edge value."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two axes by repeating the edge values."""

    mode = "replicate"
    dims = 2


class CircularPad1d(_PadNd):
    """Pad the last axis by wrapping around."""

    mode = "circular"


class CircularPad2d(_PadNd):
    """Pad the last two axes by wrapping around."""

    mode = "circular"
    dims = 2
