"""Small arithmetic as PyTorch's, composed from existing blocks: ``outer``, ``dot``,
``clamp_min``, ``clamp_max``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.math import clip, matmul, maximum, minimum, mul
from nnblocks.functional.shape import reshape


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def _dtype(x: Any) -> Any:
    return x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def outer(input: Any, vec2: Any) -> Tensor:
    """``out[i, j] = input[i] * vec2[j]`` of two 1-D tensors, as ``torch.outer``."""
    if len(_shape(input)) != 1 or len(_shape(vec2)) != 1:
        raise RuntimeError(f"outer: expects two 1-D tensors, got shapes {_shape(input)} and "
                           f"{_shape(vec2)}")
    return mul(reshape(input, -1, 1), reshape(vec2, 1, -1))


def dot(input: Any, tensor: Any) -> Tensor:
    """The inner product of two 1-D tensors of the same size and dtype, as ``torch.dot``."""
    a, b = _shape(input), _shape(tensor)
    if len(a) != 1 or len(b) != 1:
        raise RuntimeError(f"dot: expects two 1-D tensors, got shapes {a} and {b}")
    if a != b:
        raise RuntimeError(f"dot: the tensors have sizes {a[0]} and {b[0]}; they must be equal")
    if _dtype(input) != _dtype(tensor):
        raise RuntimeError(f"dot: expects both tensors to have the same dtype, got "
                           f"{_dtype(input)} and {_dtype(tensor)}")
    return matmul(input, tensor)


def clamp_min(input: Any, min: Any) -> Tensor:
    """``max(input, min)`` element-wise, as ``torch.clamp_min`` (``min`` a number or a
    tensor)."""
    if isinstance(min, Tensor):
        return maximum(input, min)
    return clip(input, min=min)


def clamp_max(input: Any, max: Any) -> Tensor:
    """``min(input, max)`` element-wise, as ``torch.clamp_max`` (``max`` a number or a
    tensor)."""
    if isinstance(max, Tensor):
        return minimum(input, max)
    return clip(input, max=max)
