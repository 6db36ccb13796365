"""Element-wise arithmetic blocks with NumPy broadcasting, and (batched) matrix multiplication.

Broadcasting: each block returns gradients of the broadcast shape; the core sums them back to
each input's own shape (:func:`nnblocks.core.broadcast.unbroadcast`).

Result dtypes follow PyTorch, not NumPy, where the two differ (:func:`promote`): a float32 tensor
combined with an integer or bool tensor, or with a 0-d float64 tensor, stays float32, and integer
data that must become floating (``int / int``, ``int * 0.5``, ``exp(int)``) becomes float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.promotion import as_floating, promote, result_dtype

Array = np.ndarray


def _broadcast_error(name: str, a: Any, b: Any) -> ValueError:
    """The error for operands that do not broadcast, naming the operation and both shapes.

    Blocks run the NumPy operation first and build this only when it fails, so the common case
    pays nothing for the check.
    """
    return ValueError(
        f"{name}: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together"
    )


class AddBlock(Block):
    r"""Element-wise sum. :math:`y = a + b`, :math:`g_a = g_y`, :math:`g_b = g_y`.

    Shapes:
        a, b: broadcastable; y: their broadcast shape.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, None]:
        a, b = promote(a, b)
        try:
            return a + b, None
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[Array, Array]:
        return gy, gy


class SubBlock(Block):
    r"""Element-wise difference. :math:`y = a - b`, :math:`g_a = g_y`, :math:`g_b = -g_y`.

    Shapes:
        a, b: broadcastable; y: their broadcast shape; g_a, g_b are summed back to the shapes
        of a and b by the core.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, None]:
        a, b = promote(a, b)
        try:
            return a - b, None
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[Array, Array]:
        return gy, -gy


class MulBlock(Block):
    r"""Element-wise product. :math:`y = a b`, :math:`g_a = g_y b`, :math:`g_b = g_y a`.

    Shapes:
        a, b: broadcastable; y: their broadcast shape; g_a, g_b are summed back to the shapes
        of a and b by the core.
    """

    takes_needs_input_grad = True  # y * constant is common: skip the constant's gradient
    saved_input_uses = {0: (1,), 1: (0,)}    # b for g_a, a for g_b (as PyTorch saves)

    @staticmethod
    def forward(a: Array, b: Array, needs_input_grad: tuple[bool, bool] = (True, True)
                ) -> tuple[Array, tuple]:
        a, b = promote(a, b)
        try:
            return a * b, (a, b, needs_input_grad)
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array | None, Array | None]:
        a, b, needs = saved
        ga = gy * b if needs[0] else None
        gb = gy * a if needs[1] else None
        return ga, gb


class DivBlock(Block):
    r"""Element-wise quotient. :math:`y = a / b`, :math:`g_a = g_y / b`,
    :math:`g_b = -g_y\, a / b^2 = -g_y\, y / b` (saves b and y, not a).

    Shapes:
        a, b: broadcastable; y: their broadcast shape; g_a, g_b are summed back to the shapes
        of a and b by the core.
    """

    saved_inputs = (1,)                # saves b and y
    saves_output = True

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, tuple]:
        a, b = promote(a, b, floating=True)                      # int / int is float32
        try:
            y = a / b
        except ValueError:
            raise _broadcast_error("div", a, b) from None
        return y, (b, y)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        b, y = saved
        ga = gy / b
        return ga, -ga * y


class NegBlock(Block):
    r"""Negation. :math:`y = -x`, :math:`g_x = -g_y`.

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(x: Array) -> tuple[Array, None]:
        return -x, None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[Array]:
        return (-gy,)


class PowBlock(Block):
    r"""Element-wise power :math:`y = a^b` (b a tensor or a Python number).

    .. math::
        g_a = g_y\, b\, a^{b-1}, \qquad g_b = g_y\, y \ln a

    Numerics:
        :math:`g_b` is taken as 0 where :math:`a = 0` and :math:`b \ge 0` (PyTorch's convention,
        the limit of :math:`a^b \ln a`); for :math:`a < 0` it is NaN, as the real logarithm is
        undefined there. :math:`g_a` is 0 where :math:`b = 0` (:math:`a^0` is constant).

    Shapes:
        a, b: broadcastable; y: their broadcast shape.
    """

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, tuple]:
        a, b = promote(a, b)
        try:
            y = np.power(a, b)
        except ValueError:
            raise _broadcast_error("pow", a, b) from None
        return y, (a, b, y)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array | None]:
        a, b, y = saved
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = gy * np.where(b == 0, 0.0, b * np.power(a, b - 1))   # d(a^0)/da = 0
        gb = None
        if isinstance(b, np.ndarray) and np.issubdtype(b.dtype, np.floating):
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = gy * np.where((a == 0) & (b >= 0), 0.0, y * np.log(a))
        return ga, gb


class ExpBlock(Block):
    r"""Element-wise exponential. :math:`y = e^x`, :math:`g_x = g_y\, y` (saves y).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()                  # backward needs only the output
    saves_output = True

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        y = np.exp(as_floating(x))
        return y, y

    @staticmethod
    def backward(y: Array, gy: Array) -> tuple[Array]:
        return (gy * y,)


class LogBlock(Block):
    r"""Natural logarithm. :math:`y = \ln x`, :math:`g_x = g_y / x` (saves x).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        x = as_floating(x)
        return np.log(x), x

    @staticmethod
    def backward(x: Array, gy: Array) -> tuple[Array]:
        return (gy / x,)


class SqrtBlock(Block):
    r"""Square root. :math:`y = \sqrt{x}`, :math:`g_x = g_y / (2y)` (saves y; infinite at 0).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    saved_inputs = ()                  # backward needs only the output
    saves_output = True

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        y = np.sqrt(as_floating(x))
        return y, y

    @staticmethod
    def backward(y: Array, gy: Array) -> tuple[Array]:
        return (gy / (2 * y),)


class AbsBlock(Block):
    r"""Absolute value. :math:`y = |x|`, :math:`g_x = g_y\,\mathrm{sign}(x)` (0 at x = 0, as
    PyTorch).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        return np.abs(x), x

    @staticmethod
    def backward(x: Array, gy: Array) -> tuple[Array]:
        return (gy * np.sign(x),)


class MaximumBlock(Block):
    r"""Element-wise maximum. :math:`y = \max(a, b)`; the gradient goes to the larger input,
    split evenly on ties (PyTorch's rule): :math:`g_a = g_y([a > b] + \tfrac12 [a = b])`,
    :math:`g_b = g_y - g_a`.

    Shapes:
        a, b: broadcastable; y: their broadcast shape; g_a, g_b are summed back to the shapes
        of a and b by the core.
    """

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, tuple]:
        a, b = promote(a, b)
        try:
            return np.maximum(a, b), (a, b)
        except ValueError:
            raise _broadcast_error("maximum", a, b) from None

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        a, b = saved
        half = gy.dtype.type(0.5)                                # keep float32 in float32
        ga = np.where(a > b, gy, np.where(a == b, gy * half, 0))   # broadcast shape
        return ga, gy - ga


class MinimumBlock(Block):
    r"""Element-wise minimum, the mirror of :class:`MaximumBlock`:
    :math:`g_a = g_y([a < b] + \tfrac12 [a = b])`, :math:`g_b = g_y - g_a`.

    Shapes:
        a, b: broadcastable; y: their broadcast shape; g_a, g_b are summed back to the shapes
        of a and b by the core.
    """

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, tuple]:
        a, b = promote(a, b)
        try:
            return np.minimum(a, b), (a, b)
        except ValueError:
            raise _broadcast_error("minimum", a, b) from None

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        a, b = saved
        half = gy.dtype.type(0.5)
        ga = np.where(a < b, gy, np.where(a == b, gy * half, 0))   # broadcast shape
        return ga, gy - ga


class ClipBlock(Block):
    r"""Clamp to ``[min, max]`` (either may be None). :math:`y = \min(\max(x, lo), hi)`,
    :math:`g_x = g_y [lo \le x \le hi]` (PyTorch's rule: the gradient passes at the bounds
    themselves; with min > max every element is max and no gradient passes).

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape of x.
    """

    @staticmethod
    def forward(x: Array, *, min: float | None, max: float | None) -> tuple[Array, Array]:
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        lo = -np.inf if min is None else min
        hi = np.inf if max is None else max
        y = np.clip(x, lo, hi)
        return y, (x >= lo) & (x <= hi)

    @staticmethod
    def backward(inside: Array, gy: Array) -> tuple[Array]:
        return (gy * inside,)


class WhereBlock(Block):
    r"""Select: :math:`y = a` where ``condition`` else :math:`b`;
    :math:`g_a = g_y [c]`, :math:`g_b = g_y [\lnot c]`; no gradient for the condition.

    Shapes:
        condition (bool), a, b: broadcastable; y: their broadcast shape.
    """

    saved_inputs = (0,)                # saves the condition

    @staticmethod
    def forward(condition: Array, a: Array, b: Array) -> tuple[Array, Array]:
        condition = np.asarray(condition, dtype=bool)
        try:
            np.broadcast_shapes(condition.shape, np.shape(a), np.shape(b))
        except ValueError:
            raise ValueError(
                f"where: condition {condition.shape}, a {np.shape(a)} and b {np.shape(b)} "
                "cannot be broadcast together"
            ) from None
        a, b = promote(a, b)
        y = np.where(condition, a, b)
        if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
            y = y.astype(result_dtype(a, b))            # two Python numbers: float32, as torch
        return y, condition

    @staticmethod
    def backward(condition: Array, gy: Array) -> tuple[None, Array, Array]:
        return None, gy * condition, gy * ~condition


class MatMulBlock(Block):
    r"""Matrix product with NumPy's ``matmul`` semantics (batched, broadcast batch dims).

    .. math::
        Y = A B, \qquad g_A = g_Y B^\top, \qquad g_B = A^\top g_Y

    Shapes:
        a: ``(*, n, k)`` or ``(k,)``; b: ``(*, k, m)`` or ``(k,)``. A 1-D ``a`` is a row
        vector and a 1-D ``b`` a column vector whose added dimension is removed from ``y``.
    """

    saved_input_uses = {0: (1,), 1: (0,)}    # b for g_a, a for g_b (as PyTorch saves)

    @staticmethod
    def forward(a: Array, b: Array) -> tuple[Array, tuple]:
        a, b = promote(np.asarray(a), np.asarray(b))
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need ≥ 1 dim, got {a.shape} and {b.shape}")
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise ValueError(
                f"matmul: inner dimensions differ: a {a.shape} has {ka} columns, "
                f"b {b.shape} has {kb} rows"
            )
        try:
            y = a @ b
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of a {a.shape} and b {b.shape} cannot be broadcast "
                "together"
            ) from None
        return y, (a, b)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        a, b = saved
        if a.ndim == 1 and b.ndim == 1:                         # inner product
            return gy * b, gy * a
        a2 = a[None, :] if a.ndim == 1 else a                   # (*, n, k)
        b2 = b[:, None] if b.ndim == 1 else b                   # (*, k, m)
        g2 = np.expand_dims(gy, -2) if a.ndim == 1 else gy
        g2 = g2[..., None] if b.ndim == 1 else g2               # (*, n, m)
        ga = g2 @ np.swapaxes(b2, -1, -2)                       # (*, n, k)
        gb = np.swapaxes(a2, -1, -2) @ g2                       # (*, k, m)
        if a.ndim == 1:
            ga = ga[..., 0, :]                                  # (*, k): core sums over *
        if b.ndim == 1:
            gb = gb[..., 0]                                     # (*, k)
        return ga, gb


# ---------------------------------------------------------------------- Tensor-level wrappers


def add(a: Any, b: Any) -> Tensor:
    """Element-wise ``a + b`` (:class:`AddBlock`)."""
    return AddBlock.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Element-wise ``a - b`` (:class:`SubBlock`)."""
    return SubBlock.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """Element-wise ``a * b`` (:class:`MulBlock`)."""
    return MulBlock.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    """Element-wise ``a / b`` (:class:`DivBlock`)."""
    return DivBlock.apply(a, b)


def neg(x: Any) -> Tensor:
    """``-x`` (:class:`NegBlock`)."""
    return NegBlock.apply(x)


def pow(a: Any, b: Any) -> Tensor:
    """Element-wise ``a ** b`` (:class:`PowBlock`)."""
    return PowBlock.apply(a, b)


def exp(x: Any) -> Tensor:
    """Element-wise :math:`e^x` (:class:`ExpBlock`)."""
    return ExpBlock.apply(x)


def log(x: Any) -> Tensor:
    """Element-wise natural logarithm (:class:`LogBlock`)."""
    return LogBlock.apply(x)


def sqrt(x: Any) -> Tensor:
    """Element-wise square root (:class:`SqrtBlock`)."""
    return SqrtBlock.apply(x)


def abs(x: Any) -> Tensor:
    """Element-wise absolute value (:class:`AbsBlock`)."""
    return AbsBlock.apply(x)


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise maximum (:class:`MaximumBlock`)."""
    return MaximumBlock.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise minimum (:class:`MinimumBlock`)."""
    return MinimumBlock.apply(a, b)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp ``x`` to ``[min, max]`` (:class:`ClipBlock`); PyTorch calls it ``clamp``."""
    return ClipBlock.apply(x, min=min, max=max)


clamp = clip


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (:class:`WhereBlock`)."""
    return WhereBlock.apply(condition, a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` with batching and broadcasting (:class:`MatMulBlock`)."""
    return MatMulBlock.apply(a, b)


def mm(a: Any, b: Any) -> Tensor:
    """Product of two 2-D tensors (``torch.mm``: no batching, no broadcasting)."""
    for name, t in (("input", a), ("mat2", b)):
        if np.ndim(getattr(t, "array", t)) != 2:
            raise RuntimeError(f"mm: {name} must be a matrix, got shape "
                               f"{np.shape(getattr(t, 'array', t))}")
    return MatMulBlock.apply(a, b)


def bmm(a: Any, b: Any) -> Tensor:
    """Batched product of ``(B, n, m)`` and ``(B, m, p)`` tensors (``torch.bmm``)."""
    sa, sb = np.shape(getattr(a, "array", a)), np.shape(getattr(b, "array", b))
    if len(sa) != 3 or len(sb) != 3 or sa[0] != sb[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with the same batch size, got shapes "
                           f"{sa} and {sb}")
    return MatMulBlock.apply(a, b)
