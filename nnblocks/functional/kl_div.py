"""Kullback-Leibler divergence as ``F.kl_div``, composed from existing blocks."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.math import exp, log, where
from nnblocks.functional.reduce import mean as _mean
from nnblocks.functional.reduce import sum as _sum

_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""Pointwise :math:`\ell = t (\log t - x)` with ``input`` :math:`x` log-probabilities and
    ``target`` :math:`t` probabilities (0 where :math:`t = 0`), or
    :math:`e^{t} (t - x)` with ``log_target=True``; reduced as ``reduction``: ``'mean'`` over
    all elements (PyTorch's default, which it warns is not the KL divergence),
    ``'batchmean'`` the sum divided by the batch size ``input.size(0)`` (the true KL
    divergence), ``'sum'`` or ``'none'``.

    The gradient w.r.t. a target element that is 0 is :math:`-x` here; PyTorch's is NaN
    (``xlogy``'s derivative at 0).

    Shapes:
        input, target: broadcastable ``(N, *)``; output: ``()``, or the broadcast shape for
        ``'none'``.
    """
    if size_average is not None or reduce is not None:
        raise ValueError("kl_div: size_average and reduce are deprecated in PyTorch and not "
                         "supported; use reduction=")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if log_target:
        pointwise = exp(target) * (target - input)
    else:
        t = target.array if isinstance(target, Tensor) else np.asarray(target)
        positive = t > 0
        safe = where(positive, target, np.ones((), dtype=t.dtype))       # log(1) = 0 at t = 0
        pointwise = where(positive, target * log(safe), np.zeros((), dtype=t.dtype)) \
            - target * input
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return _sum(pointwise)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, which "
                      "is the KL divergence (PyTorch gives the same warning)", UserWarning,
                      stacklevel=2)
        return _mean(pointwise)
    shape = input.shape if isinstance(input, Tensor) else np.shape(input)
    batch = shape[0] if len(shape) else 1
    return _sum(pointwise) / batch
