"""Normalizing vectors and comparing them, as ``F.normalize`` and ``F.cosine_similarity``,
composed from the vector-norm block (its gradient at a zero vector is PyTorch's 0)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.math_extra import clamp_min
from nnblocks.functional.reduce import sum as _sum
from nnblocks.functional.vector_norms import vector_norm


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    r""":math:`x / \max(\lVert x \rVert_p, \epsilon)` over ``dim``, as ``F.normalize`` (the
    clamp is PyTorch's ``clamp_min``: the gradient flows through the norm only above eps)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported by nnblocks; use the returned tensor")
    norm = vector_norm(input, p, dim, keepdim=True)
    return input / clamp_min(norm, eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r""":math:`\sum_d \frac{x_1}{\max(\lVert x_1 \rVert, \epsilon)}
    \frac{x_2}{\max(\lVert x_2 \rVert, \epsilon)}` over ``dim``, as ``F.cosine_similarity``
    (PyTorch 2.x: each input divided by its own clamped norm, the clamp done without recording,
    so the gradient flows through the norms as if unclamped).

    Shapes:
        x1, x2: broadcastable; output: their broadcast shape without ``dim``.
    """
    a = x1.array if isinstance(x1, Tensor) else np.asarray(x1)
    b = x2.array if isinstance(x2, Tensor) else np.asarray(x2)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"cosine_similarity: x1 of shape {a.shape} and x2 of shape {b.shape} "
                           "cannot be broadcast together") from None
    scaled = []
    for x in (x1, x2):
        norm = vector_norm(x, 2, dim, keepdim=True)                      # (*, 1, *)
        lift = np.maximum(norm.array, eps) - norm.array                  # the unrecorded clamp
        scaled.append(x / (norm + lift.astype(norm.dtype)))
    return _sum(scaled[0] * scaled[1], dim)
