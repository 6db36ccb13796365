"""Comparisons: element-wise, boolean results, never recorded (no gradient flows through them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor

Array = np.ndarray


class CompareBlock(Block):
    """Element-wise comparison ``op`` in ``{'eq','ne','lt','le','gt','ge'}``; boolean output.

    Not differentiable: the result is piecewise constant, so the block is never recorded.

    Shapes:
        a, b: broadcastable; y: their broadcast shape, dtype bool.
    """

    differentiable = False
    _ops = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
            "gt": np.greater, "ge": np.greater_equal}

    @staticmethod
    def forward(a: Array, b: Array, *, op: str) -> tuple[Array, None]:
        try:
            return CompareBlock._ops[op](a, b), None
        except ValueError:
            raise ValueError(
                f"{op}: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[None, None]:
        return None, None


def eq(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="eq")


def ne(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="ne")


def lt(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="lt")


def le(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="le")


def gt(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="gt")


def ge(a: Any, b: Any) -> Tensor:
    return CompareBlock.apply(a, b, op="ge")


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """``|a - b| <= atol + rtol |b|`` everywhere, as ``torch.allclose`` (a Python bool)."""
    return bool(np.allclose(getattr(a, "array", a), getattr(b, "array", b), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))
