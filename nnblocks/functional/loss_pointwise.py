r"""Element-wise losses beside MSE: L1, smooth L1, Huber, and binary cross-entropy on
probabilities.

Each compares an input :math:`x` with a target :math:`t` of the same shape element by element;
``reduction`` is ``'mean'`` (over all elements), ``'sum'`` or ``'none'``, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.loss import _check_reduction, _reduce, _reduce_backward

Array = np.ndarray

#: PyTorch clamps each log of binary_cross_entropy at -100 so that p = 0 or 1 gives a finite loss
LOG_FLOOR = -100.0
#: and divides the gradient by max(p (1 - p), 1e-12)
BCE_EPS = 1e-12


def _same_shape(name: str, x: Array, target: Array) -> Array:
    target = np.asarray(target).astype(x.dtype, copy=False)     # no silent upcast of x
    if target.shape != x.shape:
        raise ValueError(f"{name}: target has shape {target.shape}, expected the input's shape "
                         f"{x.shape} (broadcasting them is almost always a bug)")
    return target


class L1LossBlock(Block):
    r"""Mean absolute error.

    .. math::
        L_i = |x_i - t_i|, \qquad g_{x_i} = \operatorname{sign}(x_i - t_i)\, g_{L_i},
        \qquad g_{t_i} = -g_{x_i}

    (the derivative at :math:`x_i = t_i` is 0, as PyTorch's).

    Shapes:
        x, target: ``(*)``; y: ``()``, or ``(*)`` with ``reduction='none'``.
    """

    @staticmethod
    def forward(x: Array, target: Array, *, reduction: str = "mean") -> tuple[Array, tuple]:
        _check_reduction("l1_loss", reduction)
        diff = x - _same_shape("l1_loss", x, target)             # (*)
        return _reduce(np.abs(diff), reduction, float(diff.size)), (np.sign(diff), reduction)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        sign, reduction = saved
        gx = sign * _reduce_backward(gy, reduction, float(sign.size))   # (*)
        return gx, -gx


class SmoothL1LossBlock(Block):
    r"""Smooth L1 (quadratic near 0, linear beyond ``beta``), times ``scale``.

    .. math::
        L_i = s \begin{cases} \tfrac12 d_i^2 / \beta & |d_i| < \beta \\
                              |d_i| - \tfrac12 \beta & \text{otherwise} \end{cases},
        \qquad g_{x_i} = s \begin{cases} d_i / \beta & |d_i| < \beta \\
                                         \operatorname{sign}(d_i) & \text{otherwise}
                           \end{cases} g_{L_i}, \qquad g_{t_i} = -g_{x_i}

    with :math:`d = x - t`. PyTorch's ``smooth_l1_loss(beta)`` is :math:`s = 1`; its
    ``huber_loss(delta)`` is :math:`\beta = \delta, s = \delta`
    (:math:`\tfrac12 d^2` inside, :math:`\delta(|d| - \tfrac12\delta)` outside).

    Shapes:
        x, target: ``(*)``; y: ``()``, or ``(*)`` with ``reduction='none'``. ``beta > 0``.
    """

    @staticmethod
    def forward(x: Array, target: Array, *, beta: float, scale: float = 1.0,
                reduction: str = "mean") -> tuple[Array, tuple]:
        _check_reduction("smooth_l1_loss", reduction)
        d = x - _same_shape("smooth_l1_loss", x, target)         # (*)
        inside = np.abs(d) < beta                                # (*) bool
        losses = np.where(inside, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)
        if scale != 1.0:
            losses = losses * scale
        slope = np.where(inside, d / beta, np.sign(d)) * scale   # (*) dL_i/dx_i
        return _reduce(losses.astype(x.dtype, copy=False), reduction, float(d.size)), \
            (slope.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        slope, reduction = saved
        gx = slope * _reduce_backward(gy, reduction, float(slope.size))   # (*)
        return gx, -gx


class BinaryCrossEntropyBlock(Block):
    r"""Binary cross-entropy on probabilities :math:`p \in [0, 1]`, optional weight :math:`w`.

    .. math::
        L_i = -w_i \big(t_i \log p_i + (1 - t_i) \log(1 - p_i)\big), \qquad
        g_{p_i} = w_i \frac{p_i - t_i}{\max(p_i (1 - p_i), \epsilon)} g_{L_i}, \qquad
        g_{t_i} = w_i \big(\log(1 - p_i) - \log p_i\big) g_{L_i}

    Numerics:
        As PyTorch: each log is clamped at -100 (so :math:`p = 0` or 1 gives a finite loss)
        and the derivative's denominator at :math:`\epsilon = 10^{-12}`. For logits, prefer
        :func:`~nnblocks.functional.binary_cross_entropy_with_logits` (exact for any logit).

    Shapes:
        p, target: ``(*)``; weight: broadcastable to ``(*)``; y: ``()`` or ``(*)``.
    """

    @staticmethod
    def forward(p: Array, target: Array, weight: Array | None = None, *,
                reduction: str = "mean") -> tuple[Array, tuple]:
        _check_reduction("binary_cross_entropy", reduction)
        t = _same_shape("binary_cross_entropy", p, target)
        if p.size and (np.nanmin(p) < 0.0 or np.nanmax(p) > 1.0):
            raise ValueError("binary_cross_entropy: all elements of input should be between 0 "
                             "and 1 (pass probabilities, e.g. after sigmoid; for logits use "
                             "binary_cross_entropy_with_logits)")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), LOG_FLOOR)             # (*)
            log_q = np.maximum(np.log1p(-p), LOG_FLOOR)          # (*) log(1 - p)
        losses = -(t * log_p + (1.0 - t) * log_q)                # (*)
        if weight is not None:
            losses = losses * weight
        saved = (p, t, log_p, log_q, weight, reduction)
        return _reduce(losses.astype(p.dtype, copy=False), reduction, float(p.size)), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array, None]:
        p, t, log_p, log_q, weight, reduction = saved
        g = _reduce_backward(gy, reduction, float(p.size))       # () or (*)
        if weight is not None:
            g = g * weight
        gp = g * (p - t) / np.maximum(p * (1.0 - p), BCE_EPS)    # (*)
        gt = g * (log_q - log_p)                                 # (*)
        return gp, gt, None


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error (:class:`L1LossBlock`), as ``torch.nn.functional.l1_loss``."""
    return L1LossBlock.apply(input, target, reduction=reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
                   beta: float = 1.0) -> Tensor:
    """Smooth L1 (:class:`SmoothL1LossBlock`), as ``torch.nn.functional.smooth_l1_loss``;
    ``beta = 0`` is the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return SmoothL1LossBlock.apply(input, target, beta=float(beta), reduction=reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0) -> Tensor:
    """Huber loss (:class:`SmoothL1LossBlock` with ``beta = scale = delta``), as
    ``torch.nn.functional.huber_loss``."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return SmoothL1LossBlock.apply(input, target, beta=float(delta), scale=float(delta),
                              reduction=reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities (:class:`BinaryCrossEntropyBlock`), as
    ``torch.nn.functional.binary_cross_entropy``."""
    return BinaryCrossEntropyBlock.apply(input, target, weight, reduction=reduction)
