"""Fully connected layers: ``Linear``, ``Identity`` and a layer of ``Maxout`` units."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.linear import linear, maxout_linear
from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype
from nnblocks.nn.sizes import size_argument


def check_features(module: Module, x: Any, expected: int) -> None:
    """Raise a ``ValueError`` naming ``module`` when the last axis of ``x`` is not ``expected``."""
    shape = np.shape(getattr(x, "array", x))
    if len(shape) == 0 or shape[-1] != expected:
        got = shape[-1] if shape else "no"
        raise ValueError(
            f"{module!r}: input has {got} features (input shape {shape}), expected {expected} "
            "in the last dimension"
        )


class Identity(Module):
    """Returns its input unchanged (a placeholder, as ``torch.nn.Identity``); arguments are
    accepted and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Linear(Module):
    r"""Fully connected layer :math:`y = x W^\top + b` (:func:`nnblocks.functional.linear`).

    Args:
        in_features: size of each input sample (last axis).
        out_features: size of each output sample.
        bias: learn an additive bias.
        dtype: parameter dtype (default float32).
        rng: generator for the initialization (default: nnblocks' default generator).

    Attributes:
        weight: ``(out_features, in_features)``, initialized as PyTorch's
            ``kaiming_uniform_(a=sqrt(5))``, i.e. :math:`\mathcal U(-k, k)`,
            :math:`k = 1/\sqrt{\text{in\_features}}`.
        bias: ``(out_features,)``, :math:`\mathcal U(-k, k)`.

    Shapes:
        x: ``(*, in_features)``; y: ``(*, out_features)``.

    >>> import nnblocks as nb
    >>> nb.nn.Linear(10, 16)
    Linear(in_features=10, out_features=16, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = None, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = size_argument("Linear", "in_features", in_features, minimum=0)
        self.out_features = size_argument("Linear", "out_features", out_features, minimum=0)
        dtype = parameter_dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """PyTorch's initialization (see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        check_features(self, x, self.in_features)
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Maxout(Module):
    r"""A layer of maxout units (Goodfellow et al. 2013): ``out_features`` units, each the
    maximum of ``num_pieces`` affine functions of the input,
    :math:`y_o = \max_j (w_{oj}^\top x + b_{oj})` (:func:`nnblocks.functional.maxout_linear`).

    PyTorch has no maxout layer; the layout is ours, chosen to read like the math.

    Attributes:
        weight: ``(out_features, num_pieces, in_features)``: ``weight[o, j]`` is piece ``j`` of
            unit ``o``. Initialized like a Linear layer, :math:`\mathcal U(-k, k)`,
            :math:`k = 1/\sqrt{\text{in\_features}}`.
        bias: ``(out_features, num_pieces)``, :math:`\mathcal U(-k, k)`.

    Shapes:
        x: ``(*, in_features)``; y: ``(*, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, num_pieces: int, bias: bool = True,
                 *, dtype: Any = None, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = size_argument("Maxout", "in_features", in_features, minimum=0)
        self.out_features = size_argument("Maxout", "out_features", out_features, minimum=0)
        self.num_pieces = size_argument("Maxout", "num_pieces", num_pieces)
        dtype = parameter_dtype(dtype)
        shape = (self.out_features, self.num_pieces, self.in_features)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(shape[:2], dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound, rng=rng)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        check_features(self, x, self.in_features)
        return maxout_linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"num_pieces={self.num_pieces}, bias={self.bias is not None}")

