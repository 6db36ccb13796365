"""More activations as PyTorch's, composed from existing blocks (so their gradients are the
blocks' checked ones): ``silu``, ``hardtanh``, ``relu6``, ``prelu``, ``logsigmoid``,
``softsign``, ``glu``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.activation import sigmoid, softplus
from nnblocks.functional.compare import ge, gt, le
from nnblocks.functional.math import abs, where
from nnblocks.functional.shape import chunk, reshape


def _array(x: Any) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def silu(input: Any, inplace: bool = False) -> Tensor:
    r""":math:`x \sigma(x)` element-wise (the swish), as ``F.silu``."""
    return input * sigmoid(input)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    r""":math:`x` clamped to ``[min_val, max_val]``, as ``F.hardtanh``; the gradient passes
    only strictly inside (PyTorch's rule, unlike ``clamp``'s, which passes at the bounds)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val "
                         f"({max_val})")
    dtype = _array(input).dtype
    lo = np.array(min_val, dtype=dtype)
    hi = np.array(max_val, dtype=dtype)
    # the bounds themselves are constants (no gradient there); the comparisons are blocks, so
    # an exported graph (ONNX) compares its own input, not this one
    return where(ge(input, hi), hi, where(le(input, lo), lo, input))


def relu6(input: Any, inplace: bool = False) -> Tensor:
    r""":math:`\min(\max(0, x), 6)`, as ``F.relu6`` (PyTorch's ``hardtanh(x, 0, 6)``)."""
    return hardtanh(input, 0.0, 6.0)


def prelu(input: Any, weight: Any) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`a_c x` with a learned slope per channel
    (dim 1) or one shared slope, as ``F.prelu``.

    Shapes:
        input: ``(N, C, *)`` (or fewer than 2 dims: one channel); weight: ``(C,)`` or ``(1,)``.
    """
    data = _array(input)
    w = _array(weight)
    channels = data.shape[1] if data.ndim >= 2 else 1      # PyTorch: no channel dim below 2-D
    if w.ndim > 1 or w.size not in (1, channels):
        raise RuntimeError(f"prelu: weight of shape {w.shape} needs 1 element or one per "
                           f"channel (dim 1, {channels}) of the input of shape {data.shape}")
    if w.size != 1:
        weight = reshape(weight, (-1,) + (1,) * (data.ndim - 2))       # (C, 1, ..., 1)
    else:
        weight = reshape(weight, ())
    return where(gt(input, 0), input, weight * input)


def logsigmoid(input: Any) -> Tensor:
    r""":math:`\log \sigma(x) = -\operatorname{softplus}(-x)`, as ``F.logsigmoid``."""
    return -softplus(-input)


def softsign(input: Any) -> Tensor:
    r""":math:`x / (1 + |x|)`, as ``F.softsign``."""
    return input / (abs(input) + 1)


def glu(input: Any, dim: int = -1) -> Tensor:
    r"""The gated linear unit :math:`a \otimes \sigma(b)`, ``a`` and ``b`` the two halves of
    ``input`` along ``dim``, as ``F.glu``."""
    data = _array(input)
    if data.ndim == 0:
        raise RuntimeError("glu: does not take a 0-d tensor")
    d = dim % data.ndim if -data.ndim <= dim < data.ndim else None
    if d is None:
        raise IndexError(f"glu: dim {dim} is out of range for a tensor with {data.ndim} dims")
    if data.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size "
                           f"{data.shape[d]} (input shape {data.shape})")
    a, b = chunk(input, 2, d)
    return a * sigmoid(b)
