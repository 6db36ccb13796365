r"""More learning-rate schedules of ``torch.optim.lr_scheduler``: warm-up factors
(``LinearLR``, ``ConstantLR``), ``PolynomialLR``, ``MultiplicativeLR``,
``CosineAnnealingWarmRestarts`` and ``SequentialLR``, which runs schedules one after another
(warm-up, then decay).

Each follows PyTorch's recursive form (the new rate from the current ``group["lr"]``, so
schedules compose) and its closed form where PyTorch has one (used when
:class:`SequentialLR` hands over to a schedule at its milestone).

>>> import numpy as np
>>> from nnblocks.nn import Parameter
>>> from nnblocks.optim import SGD
>>> opt = SGD([Parameter(np.zeros(2))], lr=1.0)
>>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
>>> rates = []
>>> for _ in range(5):
...     rates.append(round(sched.get_last_lr()[0], 4))
...     opt.step()
...     sched.step()
>>> rates
[0.25, 0.5, 0.75, 1.0, 1.0]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from nnblocks.optim.optimizer import Optimizer
from nnblocks.optim.scheduler import LambdaScheduler, LRScheduler


class LinearLR(LRScheduler):
    r"""Scale the initial rate by a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then keep it:
    :math:`\eta_t = \eta_0 \big(f_s + (f_e - f_s) \min(t, T) / T\big)`.

    Args:
        optimizer: the optimizer.
        start_factor: factor at epoch 0, in ``(0, 1]`` (default 1/3).
        end_factor: factor from epoch ``total_iters`` on, in ``[0, 1]`` (default 1).
        total_iters: length T of the ramp (default 5).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        slope = self.end_factor - self.start_factor
        factor = 1.0 + slope / (self.total_iters * self.start_factor
                                + (self.last_epoch - 1) * slope)
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base_lr * factor for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Scale the initial rate by ``factor`` for the first ``total_iters`` epochs, then use
    it unscaled: :math:`\eta_t = \eta_0 f` for :math:`t < T`, else :math:`\eta_0`.

    Args:
        optimizer: the optimizer.
        factor: the factor, in ``[0, 1]`` (default 1/3).
        total_iters: epochs with the factor (default 5).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        reached = self.last_epoch >= self.total_iters
        return [base_lr * (self.factor + reached * (1 - self.factor))
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Polynomial decay to 0 over ``total_iters`` epochs:
    :math:`\eta_t = \eta_0 (1 - \min(t, T) / T)^{p}`.

    Args:
        optimizer: the optimizer.
        total_iters: T, the epochs of the decay (default 5).
        power: p (default 1, a linear decay).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        t, T = self.last_epoch, self.total_iters
        factor = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * left ** self.power for base_lr in self.base_lrs]


class MultiplicativeLR(LambdaScheduler):
    r"""Multiply the current rate by ``lr_lambda(epoch)`` every epoch:
    :math:`\eta_t = \eta_{t-1} \lambda(t)`.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch giving a factor, or one function per group.
        last_epoch: see :class:`LRScheduler`.
    """

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (Loshchilov & Hutter 2017, "SGDR", eq. 5):

    .. math::
        \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi T_{cur}}{T_i}\right),

    :math:`T_{cur}` the epochs since the last restart, :math:`T_i` the current period
    (``T_0``, then times ``T_mult`` after each restart).

    Args:
        optimizer: the optimizer.
        T_0: the first period, a positive int.
        T_mult: growth of the period at each restart, an int >= 1 (default 1).
        eta_min: smallest rate (default 0).
        last_epoch: see :class:`LRScheduler`.

    ``step(epoch)`` takes a (possibly fractional) epoch, as PyTorch's, for stepping once per
    batch: ``scheduler.step(epoch + i / iters)``.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, "
                             f"got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, "
                             f"got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"CosineAnnealingWarmRestarts: eta_min must be a number, got "
                             f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (fractional epochs allowed)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:                          # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:                                  # restarts so far: T_0 (T_mult^n - 1) / ...
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs ``milestones`` (e.g. a
    ``LinearLR`` warm-up, then ``CosineAnnealingLR``), as PyTorch's.

    The schedulers must be built on ``optimizer`` first; their construction steps are undone
    and only the first one starts. At a milestone the next scheduler jumps to its epoch 0 (its
    closed form, where it has one, as PyTorch's ``_update_lr(0)``).

    Args:
        optimizer: the optimizer of every scheduler.
        schedulers: the schedules, at least one.
        milestones: ``len(schedulers) - 1`` epochs at which the next one takes over.
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[Any],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expects at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, SequentialLR):
                raise TypeError(f"SequentialLR: schedulers[{i}] is a "
                                f"{type(scheduler).__name__}, not an epoch schedule "
                                "(ReduceLROnPlateau needs a metric and is not supported)")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{i}] ({type(scheduler).__name__}) "
                                 "belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expects one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:                   # back to the initial rates
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:                      # undo their construction steps
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch in the schedule whose turn it is."""
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)                             # its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """This scheduler's attributes, with each inner scheduler's state dict."""
        state = {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, saved in zip(self._schedulers, inner):
            scheduler.load_state_dict(saved)
