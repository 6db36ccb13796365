"""Loss modules: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``, ``BCEWithLogitsLoss``.

Class weights (``weight``, ``pos_weight``) are buffers, as in PyTorch: they appear in the
state dict when given. Arguments after ``weight`` are keyword-only (PyTorch's deprecated
``size_average``/``reduce`` sit in those positions there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional import loss as losses
from nnblocks.nn.module import Module


def _buffer(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    return np.array(getattr(value, "array", value), copy=True)


class CrossEntropyLoss(Module):
    r"""Cross-entropy of logits and targets (:func:`nnblocks.functional.cross_entropy`).

    Args:
        weight: ``(C,)`` per-class weights, or None.
        ignore_index: samples whose class index equals it contribute nothing (nor to the mean's
            denominator).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        label_smoothing: :math:`\varepsilon \in [0, 1]`; the target becomes
            :math:`(1 - \varepsilon)\,\text{target} + \varepsilon / C`.

    Shapes:
        input: ``(N, C, *d)`` or ``(C,)`` logits; target: ``(N, *d)`` class indices (integers)
        or probabilities like the input; output: ``()``, or ``(N, *d)`` for ``'none'``.
    """

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.cross_entropy(
            input, target, self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )


class NLLLoss(Module):
    """Negative log-likelihood of log-probabilities (:func:`nnblocks.functional.nll_loss`);
    ``weight``, ``ignore_index`` and ``reduction`` as :class:`CrossEntropyLoss`."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class MSELoss(Module):
    """Mean squared error (:func:`nnblocks.functional.mse_loss`); input and target must have
    the same shape (PyTorch broadcasts them with a warning; here it is an error)."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy on logits, in the stable form
    (:func:`nnblocks.functional.binary_cross_entropy_with_logits`).

    Args:
        weight: rescales each element's loss (broadcast to the input).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: weight of the positive term, one per class on the last axis.
    """

    def __init__(self, weight: Any = None, *, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__()
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return losses.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )
