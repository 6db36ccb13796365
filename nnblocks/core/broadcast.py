"""Summing a broadcast gradient back to the shape of the input it came from."""

from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    r"""Reduce ``grad`` to ``shape`` by summing over the axes NumPy broadcasting created.

    If ``y = f(x)`` broadcast ``x`` of shape ``shape`` up to ``grad.shape``, every copy of an
    element of ``x`` received part of the gradient, so
    :math:`g_x = \sum_{\text{broadcast axes}} g_y`.

    Shapes:
        grad: ``(*B, *S')`` where ``S'`` broadcasts from ``shape``; returns ``shape``.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"unbroadcast: gradient shape {grad.shape} has fewer dims than {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))                # (*S')
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)           # shape
    if grad.shape != shape:
        raise ValueError(f"unbroadcast: cannot reduce gradient of shape {grad.shape} to {shape}")
    return grad
