"""The base of every epoch- or step-indexed learning-rate schedule (see
:mod:`nnblocks.optim.lr_scheduler` for the schedules and how to use them)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from nnblocks.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: keeps ``last_epoch`` and ``base_lrs``, and writes ``group["lr"]``.

    Subclasses implement :meth:`get_lr`, the rates for the epoch ``self.last_epoch`` (which
    :meth:`step` has just advanced). Like PyTorch's, most schedules are computed recursively from
    the current ``group["lr"]``, so they compose with other changes to the rate.

    Args:
        optimizer: the optimizer whose rates are scheduled.
        last_epoch: index of the last epoch; -1 (default) starts a new schedule. Any other value
            resumes one and needs ``initial_lr`` in every parameter group.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{i}] when resuming a scheduler with last_epoch >= 0"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = False
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step, which sets the rates of ``last_epoch + 1`` (``_is_initial``
        is True during it); :class:`~nnblocks.optim.lr_scheduler.SequentialLR` calls it again
        when a schedule starts."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch ``last_epoch`` (call :meth:`get_last_lr` to read them)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The rates last written to the optimizer's parameter groups."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new rates into the optimizer's groups.

        Call it after ``optimizer.step()``. (PyTorch's deprecated ``step(epoch)`` is not offered.)
        """
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Advance to the next epoch, or jump to ``epoch`` (rates then from the closed form
        ``_get_closed_form_lr`` where the schedule has one, as PyTorch's; SequentialLR jumps
        to 0 when it hands over to the next schedule), and write the rates."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as plain values (PyTorch's content)."""
        state = {}
        for key, value in self.__dict__.items():
            if key == "optimizer":
                continue
            state[key] = list(value) if isinstance(value, list) else value
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        for key, value in state_dict.items():
            self.__dict__[key] = list(value) if isinstance(value, (list, tuple)) else value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"


class LambdaScheduler(LRScheduler):
    """The base of :class:`~nnblocks.optim.lr_scheduler.LambdaLR` and ``MultiplicativeLR``: one
    function of the epoch per parameter group (``lr_lambda``, or a list of them).

    As in PyTorch, ``state_dict`` cannot save plain functions: their entries are ``None`` (the
    ``__dict__`` of callable objects is saved), so the same functions must be given again.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"{type(self).__name__}: expected {n} lr_lambdas, got "
                                 f"{len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}
        state["lr_lambdas"] = [
            None if _is_plain_function(fn) else dict(fn.__dict__) for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        super().load_state_dict(state)
        for fn, values in zip(self.lr_lambdas, saved):
            if values is not None:
                fn.__dict__.update(values)


def _is_plain_function(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
