"""More element-wise blocks PyTorch code uses: sin, cos, log1p, expm1, the rounding family, and
the dtype cast (``Tensor.to(dtype)``, ``.float()``, ``clone()``), plus wrappers composed from
existing blocks (``square``, ``rsqrt``, ``reciprocal``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.math import div, mul, pow
from nnblocks.functional.promotion import as_floating

Array = np.ndarray


class SinBlock(Block):
    r"""Sine. :math:`y = \sin x`, :math:`g_x = g_y \cos x` (saves x).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        x = as_floating(x)
        return np.sin(x), x

    @staticmethod
    def backward(x: Array, gy: Array) -> tuple[Array]:
        return (gy * np.cos(x),)


class CosBlock(Block):
    r"""Cosine. :math:`y = \cos x`, :math:`g_x = -g_y \sin x` (saves x).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        x = as_floating(x)
        return np.cos(x), x

    @staticmethod
    def backward(x: Array, gy: Array) -> tuple[Array]:
        return (-gy * np.sin(x),)


class Log1pBlock(Block):
    r""":math:`y = \ln(1 + x)`, :math:`g_x = g_y / (1 + x)` (saves x).

    Numerics:
        ``np.log1p`` keeps full precision for :math:`|x| \ll 1`, where ``log(1 + x)`` loses it.

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        x = as_floating(x)
        return np.log1p(x), x

    @staticmethod
    def backward(x: Array, gy: Array) -> tuple[Array]:
        return (gy / (1 + x),)


class Expm1Block(Block):
    r""":math:`y = e^x - 1`, :math:`g_x = g_y (y + 1)` (saves y).

    Numerics:
        ``np.expm1`` keeps full precision for :math:`|x| \ll 1`.

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()
    saves_output = True

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        y = np.expm1(as_floating(x))
        return y, y

    @staticmethod
    def backward(y: Array, gy: Array) -> tuple[Array]:
        return (gy * (y + 1),)


class RoundingBlock(Block):
    r"""Piecewise-constant element-wise functions: ``op`` in ``sign, floor, ceil, round``
    (round: half to even, as PyTorch). :math:`g_x = 0` (their derivative almost everywhere, and
    PyTorch's gradient).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape and dtype of x.
    """

    saved_inputs = ()
    _ops = {"sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round}

    @staticmethod
    def forward(x: Array, *, op: str) -> tuple[Array, None]:
        if op == "sign" or x.dtype.kind == "f":
            return RoundingBlock._ops[op](x), None
        return x.copy(), None                          # integers are already whole

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[Array]:
        return (np.zeros_like(gy),)


class CastBlock(Block):
    r"""A copy with another dtype (or the same: ``clone``). :math:`y = x` in ``dtype``,
    :math:`g_x = g_y` in x's dtype.

    Only floating results carry a gradient: a cast to an integer or bool dtype is cut from the
    graph, as in PyTorch.

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()

    @staticmethod
    def forward(x: Array, *, dtype: np.dtype) -> tuple[Array, np.dtype]:
        return x.astype(dtype, copy=True), x.dtype

    @staticmethod
    def backward(dtype: np.dtype, gy: Array) -> tuple[Array]:
        return (gy.astype(dtype, copy=False),)


# ---------------------------------------------------------------------- Tensor-level wrappers


def sin(x: Any) -> Tensor:
    """Element-wise sine (:class:`SinBlock`)."""
    return SinBlock.apply(x)


def cos(x: Any) -> Tensor:
    """Element-wise cosine (:class:`CosBlock`)."""
    return CosBlock.apply(x)


def log1p(x: Any) -> Tensor:
    """Element-wise :math:`\\ln(1 + x)` (:class:`Log1pBlock`)."""
    return Log1pBlock.apply(x)


def expm1(x: Any) -> Tensor:
    """Element-wise :math:`e^x - 1` (:class:`Expm1Block`)."""
    return Expm1Block.apply(x)


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each element; zero gradient (:class:`RoundingBlock`)."""
    return RoundingBlock.apply(x, op="sign")


def floor(x: Any) -> Tensor:
    """Largest whole number ≤ x; zero gradient (:class:`RoundingBlock`)."""
    return RoundingBlock.apply(x, op="floor")


def ceil(x: Any) -> Tensor:
    """Smallest whole number ≥ x; zero gradient (:class:`RoundingBlock`)."""
    return RoundingBlock.apply(x, op="ceil")


def round(x: Any) -> Tensor:
    """Nearest whole number, halves to even as ``torch.round``; zero gradient."""
    return RoundingBlock.apply(x, op="round")


def square(x: Any) -> Tensor:
    """Element-wise :math:`x^2` (a :class:`~nnblocks.functional.math.MulBlock` of x by itself)."""
    return mul(x, x)


def rsqrt(x: Any) -> Tensor:
    """Element-wise :math:`1 / \\sqrt{x}` (a :class:`~nnblocks.functional.math.PowBlock`)."""
    return pow(x, -0.5)


def reciprocal(x: Any) -> Tensor:
    """Element-wise :math:`1 / x` (a :class:`~nnblocks.functional.math.DivBlock`); integers give
    float32, as ``torch.reciprocal``."""
    return div(1.0, x)


def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` copied to ``dtype`` (:class:`CastBlock`): floating to floating keeps the gradient,
    to an integer or bool dtype cuts it (as ``Tensor.to(dtype)`` in PyTorch)."""
    return CastBlock.apply(x, dtype=np.dtype(dtype))


def clone(x: Any) -> Tensor:
    """A differentiable copy of ``x`` (:class:`CastBlock` to its own dtype), as ``torch.clone``."""
    return CastBlock.apply(x, dtype=np.asarray(getattr(x, "array", x)).dtype)
