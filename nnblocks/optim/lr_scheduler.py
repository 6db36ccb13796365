r"""Learning-rate schedules, with the semantics of ``torch.optim.lr_scheduler``.

Why decay the learning rate (the lecture, after Goodfellow et al. 2016, section 8.3.1): the
minibatch gradient is noisy even at a minimum, so SGD with a constant rate keeps jittering; a
sufficient condition for convergence is the Robbins–Monro condition

.. math::
    \sum_{k=1}^{\infty} \epsilon_k = \infty \quad\text{and}\quad
    \sum_{k=1}^{\infty} \epsilon_k^2 < \infty

(Robbins & Monro 1951, "A stochastic approximation method"): the steps must add up to go
anywhere, yet shrink fast enough for the noise to average out. :class:`InverseTimeLR` is the
classic schedule that meets it.

Usage, as in PyTorch: build the scheduler after the optimizer (it records ``initial_lr`` in each
group and sets the epoch-0 rate), call ``optimizer.step()`` then ``scheduler.step()`` once per
epoch (or iteration). ``get_last_lr()`` gives the rates in use.

>>> import numpy as np
>>> from nnblocks.nn import Parameter
>>> from nnblocks.optim import SGD
>>> opt = SGD([Parameter(np.zeros(2))], lr=0.1)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(sched.get_last_lr()[0])
...     opt.step()
...     sched.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import bisect
import math
import numbers
import operator
from collections import Counter
from collections.abc import Iterable
from typing import Any

from nnblocks.optim.lr_scheduler_more import (
    ConstantLR,
    CosineAnnealingWarmRestarts,
    LinearLR,
    MultiplicativeLR,
    PolynomialLR,
    SequentialLR,
)
from nnblocks.optim.one_cycle import OneCycleLR
from nnblocks.optim.optimizer import Optimizer
from nnblocks.optim.plateau import ReduceLROnPlateau
from nnblocks.optim.scheduler import LambdaScheduler, LRScheduler

__all__ = [
    "CosineAnnealingLR", "ExponentialLR", "InverseTimeLR", "LRScheduler", "LambdaLR",
    "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR",
]
__all__ += [
    "ConstantLR", "CosineAnnealingWarmRestarts", "LinearLR", "MultiplicativeLR", "PolynomialLR",
    "SequentialLR",
]


class LambdaLR(LambdaScheduler):
    r"""Rate = initial rate × ``lr_lambda(epoch)``: :math:`\eta_t = \eta_0\, \lambda(t)`.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch giving a factor, or one function per group.
        last_epoch: see :class:`LRScheduler`.

    As in PyTorch, ``state_dict`` cannot save plain functions: their entries are ``None`` (the
    ``__dict__`` of callable objects is saved), so the same functions must be given again.
    """

    def get_lr(self) -> list[float]:
        return [
            base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)
        ]


class StepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs:
    :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}`.

    Args:
        optimizer: the optimizer.
        step_size: period s of the decay, in epochs.
        gamma: factor γ (default 0.1).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral):
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size = operator.index(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` at each milestone epoch:
    :math:`\eta_t = \eta_0\, \gamma^{\#\{m \le t\}}`.

    Args:
        optimizer: the optimizer.
        milestones: epochs at which to decay (a milestone given twice decays twice).
        gamma: factor γ (default 0.1).
        last_epoch: see :class:`LRScheduler`.

    ``state_dict`` stores the milestones as a sorted list (PyTorch stores a ``Counter``, which
    JSON cannot hold with integer keys).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.milestones = Counter(int(m) for m in state_dict["milestones"])


class ExponentialLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every epoch: :math:`\eta_t = \eta_0\, \gamma^t`.

    Args:
        optimizer: the optimizer.
        gamma: factor γ.
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial rate to ``eta_min`` over ``T_max`` epochs.

    Loshchilov & Hutter (2017), "SGDR: Stochastic gradient descent with warm restarts" (without
    the restarts):

    .. math::
        \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi t}{T_{\max}}\right),

    computed, like PyTorch, by the recursion
    :math:`\eta_{t} = \eta_{\min} + (\eta_{t-1} - \eta_{\min})
    \frac{1 + \cos(\pi t / T_{\max})}{1 + \cos(\pi (t-1) / T_{\max})}` (so it composes with
    other changes of the rate); past ``T_max`` the rate climbs back, a period of ``2 T_max``.

    Args:
        optimizer: the optimizer.
        T_max: half period, in epochs.
        eta_min: smallest rate (default 0).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            return [
                eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                for base_lr in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current_lrs())
            ]
        return [
            (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min)
            + eta_min
            for lr in self._current_lrs()
        ]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
                for base_lr in self.base_lrs]


class InverseTimeLR(LRScheduler):
    r"""Inverse-time decay :math:`\eta_t = \eta_0 / (1 + \gamma t)^{p}` (``p`` = ``power``).

    Computed in closed form from the initial rate (not recursively). With ``power = 1`` it is the
    classic :math:`\eta_0 / (1 + \gamma t)` of stochastic approximation.

    Args:
        optimizer: the optimizer.
        gamma: decay speed γ ≥ 0 (per epoch).
        power: exponent p ≥ 0 (default 1).
        last_epoch: see :class:`LRScheduler`.

    >>> import numpy as np
    >>> from nnblocks.nn import Parameter
    >>> from nnblocks.optim import SGD
    >>> sched = InverseTimeLR(SGD([Parameter(np.zeros(1))], lr=1.0), gamma=1.0)
    >>> sched.satisfies_robbins_monro()
    True
    """

    def __init__(
        self, optimizer: Optimizer, gamma: float, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        for key, value in (("gamma", gamma), ("power", power)):
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and value >= 0):
                raise ValueError(
                    f"InverseTimeLR: invalid {key} value {value!r} (expected a finite {key} >= 0)"
                )
        self.gamma = float(gamma)
        self.power = float(power)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        denominator = (1.0 + self.gamma * self.last_epoch) ** self.power
        return [base_lr / denominator for base_lr in self.base_lrs]

    def satisfies_robbins_monro(self) -> bool:
        r"""Whether :math:`\sum_t \eta_t = \infty` and :math:`\sum_t \eta_t^2 < \infty`.

        True exactly when γ > 0, 0.5 < p ≤ 1 and every initial rate is positive. Reasoning:
        for γ > 0, :math:`\eta_t = \eta_0 (1 + \gamma t)^{-p}` is, for large t, within a
        constant factor of :math:`\eta_0 \gamma^{-p} t^{-p}` (the ratio tends to 1), so by
        limit comparison both sums behave as p-series: :math:`\sum t^{-p}` diverges iff
        p ≤ 1, and :math:`\sum t^{-2p}` converges iff 2p > 1. With γ = 0 (or p = 0) the rate
        is constant, so :math:`\sum \eta_t^2 = \infty`; with :math:`\eta_0 = 0` the first sum
        is 0.
        """
        positive = all(base_lr > 0 for base_lr in self.base_lrs)
        return positive and self.gamma > 0 and 0.5 < self.power <= 1.0
