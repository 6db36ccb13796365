"""Activation modules: parameter-free wrappers of :mod:`nnblocks.functional.activation`.

``inplace=True`` is accepted where PyTorch has it, for compatibility, and ignored: every block
computes out of place (the values are the same).
"""

from __future__ import annotations

from nnblocks.core import Tensor
from nnblocks.functional import activation as act
from nnblocks.nn.module import Module


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})` element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return act.sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh(x)` element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return act.tanh(x)


class ReLU(Module):
    r""":math:`\max(0, x)` element-wise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return act.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    r""":math:`x` for :math:`x > 0`, else ``negative_slope`` :math:`\cdot x`."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return act.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return act.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    r""":math:`\frac1\beta \ln(1 + e^{\beta x})`, linear where :math:`\beta x >` ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return act.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    r""":math:`x\,\Phi(x)`; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return act.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Softmax along ``dim``. Unlike PyTorch, ``dim`` is required (PyTorch's implicit choice is
    deprecated there)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return act.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax along ``dim`` (required, as for :class:`Softmax`)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return act.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
