"""More activation modules, wrapping :mod:`nnblocks.functional.activation_extra`: ``SiLU``,
``ReLU6``, ``Hardtanh``, ``PReLU`` (a learned slope), ``LogSigmoid``, ``Softsign``, ``GLU``.

``inplace=True`` is accepted where PyTorch has it and ignored (as in
:mod:`nnblocks.nn.activation`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional import activation_extra as act
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype


class SiLU(Module):
    r""":math:`x \sigma(x)` element-wise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return act.silu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    r""":math:`x` clamped to ``[min_val, max_val]``."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not be greater than max_val "
                             f"({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return act.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    r""":math:`\min(\max(0, x), 6)` element-wise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class PReLU(Module):
    r""":math:`x` for :math:`x > 0`, else :math:`a x`, with a learned slope :math:`a`: one
    shared (``num_parameters=1``) or one per channel (dim 1), initialised to ``init``.

    Shapes:
        x: ``(N, C, *)`` with ``C = num_parameters`` (or any shape when it is 1); y: x's.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.full(num_parameters, init, dtype=parameter_dtype(dtype)))

    def reset_parameters(self) -> None:
        self.weight.array[...] = self.init

    def forward(self, x: Tensor) -> Tensor:
        return act.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class LogSigmoid(Module):
    r""":math:`\log \sigma(x)` element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return act.logsigmoid(x)


class Softsign(Module):
    r""":math:`x / (1 + |x|)` element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return act.softsign(x)


class GLU(Module):
    r""":math:`a \otimes \sigma(b)`, ``a`` and ``b`` the halves of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return act.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
