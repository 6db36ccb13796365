"""Element-wise loss modules beside ``MSELoss``: ``L1Loss``, ``SmoothL1Loss``, ``HuberLoss``,
``BCELoss`` (:mod:`nnblocks.functional.loss_pointwise`), ``KLDivLoss``
(:func:`nnblocks.functional.kl_div`)."""

from __future__ import annotations

from typing import Any

from nnblocks.core import Tensor
from nnblocks.functional import loss_pointwise as losses
from nnblocks.functional.kl_div import kl_div
from nnblocks.nn.loss import _buffer
from nnblocks.nn.module import Module


class L1Loss(Module):
    """Mean absolute error (:func:`nnblocks.functional.l1_loss`)."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(Module):
    """Smooth L1: quadratic below ``beta``, linear above
    (:func:`nnblocks.functional.smooth_l1_loss`)."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(Module):
    """Huber loss with threshold ``delta`` (:func:`nnblocks.functional.huber_loss`)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(Module):
    """Binary cross-entropy on probabilities (:func:`nnblocks.functional.binary_cross_entropy`);
    for logits use :class:`~nnblocks.nn.BCEWithLogitsLoss`.

    Args:
        weight: rescales each element's loss (broadcast to the input).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__()
        self.register_buffer("weight", _buffer(weight))
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class KLDivLoss(Module):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (:func:`nnblocks.functional.kl_div`); ``reduction='batchmean'`` gives the true divergence,
    ``log_target=True`` takes the target as log-probabilities too."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            raise ValueError("KLDivLoss: size_average and reduce are deprecated in PyTorch "
                             "and not supported; use reduction=")
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
