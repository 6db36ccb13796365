r"""Synchronized batch normalization: batch statistics over the union of every process's batch.

A data-parallel run splits a batch of :math:`M` values per channel into shares
:math:`S_1 \dots S_P` held by different processes. ``SyncBatchNorm`` computes what
:class:`~nnblocks.functional.norm.BatchNormBlock` computes on the whole batch, with the sums over
:math:`S = \bigcup_p S_p` obtained by summing each process's partial sums (``all_reduce``):

.. math::
    \mu = \frac1M \sum_p \sum_{S_p} x, \qquad
    \sigma^2 = \frac1M \sum_p \sum_{S_p} (x - \mu)^2 \qquad \text{(two reductions)}

Backward, process p holds :math:`g_{\hat x}` for its share only; the formula of
:mod:`nnblocks.functional.norm` needs the two sums :math:`\sum_S g_{\hat x}` and
:math:`\sum_S g_{\hat x} \hat x` over the whole batch, so one more reduction sums them (with the
gradients that arrive through the ``mean`` and ``var`` outputs):

.. math::
    g_x = r \Big( g_{\hat x} - \frac1M \sum_S g_{\hat x}
          - \hat x\,\frac1M \sum_S g_{\hat x} \hat x \Big)
          + \frac1M \sum_p g_\mu^{(p)} + \frac{2 (x - \mu)}{M} \sum_p g_{\sigma^2}^{(p)}

This is the gradient of the **sum** of the processes' losses with respect to this process's
share (every loss depends on every share through :math:`\mu, \sigma^2`); data-parallel training
then divides parameter gradients by P, which turns it into the gradient of the mean loss. The
affine gradients :math:`g_\gamma = \sum_{S_p} g_y \hat x`, :math:`g_\beta = \sum_{S_p} g_y`
stay local: they are summed across processes with the other parameters' gradients.

The reduction is a hyperparameter ``reduce(array) -> array`` (sum over processes, in place);
the block itself knows nothing of processes. ``reduce=lambda a: a`` is plain batch norm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.norm import (
    _affine,
    _affine_grads,
    _channel_shape,
    _check_channels,
    update_running_stats,
)

Array = np.ndarray
Reduce = Callable[[Array], Array]


class SyncBatchNormBlock(Block):
    r"""Batch normalization with statistics summed over processes (module docstring).

    Outputs ``(y, mean, var, count)``: like :class:`~nnblocks.functional.norm.BatchNormBlock`'s,
    with the global mean and biased variance, and the global count :math:`M` per channel (a
    float64 scalar, no gradient) for the running variance's :math:`M / (M - 1)`.

    Shapes:
        x: ``(N, C, *)``; weight, bias: ``(C,)`` or None; y: like x; mean, var: ``(C,)``.

    Numerics:
        Sums are taken in float64 and the variance in a second pass around the global mean
        (no :math:`E[x^2] - \mu^2` cancellation).
    """

    @staticmethod
    def forward(x: Array, weight: Array | None = None, bias: Array | None = None, *,
                eps: float = 1e-5, reduce: Reduce) -> tuple[tuple[Array, ...], tuple]:
        _check_channels("sync_batch_norm", x, {"weight": weight, "bias": bias})
        axes = (0,) + tuple(range(2, x.ndim))
        shape = _channel_shape(x)
        c = x.shape[1]
        sums = np.empty(c + 1, dtype=np.float64)
        sums[:c] = x.sum(axis=axes, dtype=np.float64)
        sums[c] = x.size // c                                    # this share's count
        sums = reduce(sums)
        m = int(round(sums[c]))
        if m < 2:
            raise ValueError(f"sync_batch_norm: expected more than 1 value per channel over "
                             f"all processes, got {m} (input shape {x.shape})")
        mean = (sums[:c] / m).astype(x.dtype)                    # (C,)
        centered = x - mean.reshape(shape)                       # x.shape
        var = reduce(np.square(centered).sum(axis=axes, dtype=np.float64)) / m
        var = var.astype(x.dtype)                                # (C,)
        r = 1.0 / np.sqrt(var.reshape(shape) + eps)              # (1, C, 1...)
        xhat = centered * r                                      # x.shape
        y = _affine(xhat, weight, bias, shape)
        saved = (xhat, r, weight, bias, axes, shape, m, reduce)
        return (y, mean, var, np.array(float(m))), saved

    @staticmethod
    def backward(saved: tuple, gy: tuple[Array, Array, Array, Array]) -> tuple:
        xhat, r, weight, bias, axes, shape, m, reduce = saved
        g, gmean, gvar, _ = gy                                   # the count has no gradient
        gxhat, gw, gb = _affine_grads(g, xhat, weight, bias, axes, shape)
        c = xhat.shape[1]
        sums = np.empty(4 * c, dtype=np.float64)                 # one reduction for all four
        sums[:c] = gxhat.sum(axis=axes, dtype=np.float64)
        sums[c:2 * c] = (gxhat * xhat).sum(axis=axes, dtype=np.float64)
        sums[2 * c:3 * c] = gmean
        sums[3 * c:] = gvar
        sums = reduce(sums) / m
        mean_g = sums[:c].astype(xhat.dtype).reshape(shape)
        mean_gx = sums[c:2 * c].astype(xhat.dtype).reshape(shape)
        gx = r * (gxhat - mean_g - xhat * mean_gx)               # x.shape
        gx = gx + sums[2 * c:3 * c].astype(xhat.dtype).reshape(shape)
        gx = gx + xhat * (2.0 * sums[3 * c:].astype(xhat.dtype).reshape(shape) / r)
        return gx, gw, gb


def sync_batch_norm(x: Any, running_mean: Array | None, running_var: Array | None,
                    weight: Any = None, bias: Any = None, *, momentum: float = 0.1,
                    eps: float = 1e-5, reduce: Reduce) -> Tensor:
    r"""Training-mode :class:`SyncBatchNormBlock`; updates the running statistics in place with the
    global mean and the **unbiased** global variance :math:`\sigma^2 M / (M - 1)`, as
    :func:`~nnblocks.functional.norm.batch_norm` does for one process."""
    y, mean, var, count = SyncBatchNormBlock.apply(x, weight, bias, eps=eps, reduce=reduce)
    update_running_stats(running_mean, running_var, mean.array, var.array, float(count.array),
                         momentum)
    return y
