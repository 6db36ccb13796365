"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from nnblocks.core import Tensor

#: added to the total norm before dividing (PyTorch's constant, ``torch/nn/utils/clip_grad.py``)
_NORM_EPS = 1e-6


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float) -> np.floating:
    """The p-norm of ``x`` viewed as a vector (p may be inf, -inf or 0), in ``x``'s dtype."""
    flat = x.reshape(-1)                                                 # (n,)
    if flat.size == 0:
        return x.dtype.type(0.0)
    return x.dtype.type(np.linalg.norm(flat, ord=norm_type))


def get_total_norm(
    tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    r"""The p-norm of all ``tensors`` together, as if concatenated into one vector.

    .. math::
        \|g\|_p = \Big\| \big(\|g_1\|_p, \dots, \|g_K\|_p\big) \Big\|_p

    Args:
        tensors: an array or tensor, or an iterable of them (e.g. the gradients).
        norm_type: p; ``float('inf')`` for the largest absolute value.
        error_if_nonfinite: raise ``RuntimeError`` when the norm is NaN or infinite.

    Returns:
        A 0-d tensor in the common dtype of the inputs (float32 ``0.0`` for no input).
    """
    if isinstance(tensors, (Tensor, np.ndarray)):
        tensors = [tensors]
    arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    norm_type = float(norm_type)
    if len(arrays) == 0:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)   # (K,)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so it cannot be clipped; pass error_if_nonfinite=False to scale "
            "the gradients by it anyway"
        )
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Scale all gradients in place so that their total norm is at most ``max_norm``.

    .. math::
        g_k \leftarrow g_k \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\|g\|_p + 10^{-6}}\Big)

    where :math:`\|g\|_p` is the norm of all gradients together (see :func:`get_total_norm`);
    the direction of the full gradient is kept. Parameters without a gradient are ignored.

    Args:
        parameters: a parameter or an iterable of parameters.
        max_norm: largest allowed total norm.
        norm_type: p of the p-norm; ``float('inf')`` for the max-norm.
        error_if_nonfinite: raise ``RuntimeError`` when the total norm is NaN or infinite.

    Returns:
        The total norm before clipping, a 0-d tensor.

    >>> import numpy as np
    >>> from nnblocks.nn import Parameter
    >>> w = Parameter(np.zeros(2))
    >>> w.grad = np.array([3.0, 4.0])
    >>> float(clip_grad_norm_([w], max_norm=1.0))
    5.0
    >>> np.round(w.grad, 6)
    array([0.6, 0.8])
    """
    if not isinstance(parameters, Tensor):
        parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if len(grads) == 0:
        return total
    coef = float(max_norm) / (total.array + _NORM_EPS)                    # () in the grads' dtype
    coef = np.minimum(coef, 1.0)
    with np.errstate(invalid="ignore"):  # inf * 0 = nan, as in PyTorch, when the norm is inf
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    r"""Clip every gradient element in place to ``[-clip_value, clip_value]``.

    >>> import numpy as np
    >>> from nnblocks.nn import Parameter
    >>> w = Parameter(np.zeros(3))
    >>> w.grad = np.array([-2.0, 0.5, 3.0])
    >>> clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ], dtype=float64)
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
