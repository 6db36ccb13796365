"""The base of every epoch- or step-indexed learning-rate schedule (see
:mod:`nnblocks.optim.lr_scheduler` for the schedules and how to use them)."""

from __future__ import annotations

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
        self._step_count = 0
        self._is_initial = True       # the constructor's step sets the rates of last_epoch + 1
        self.step()
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
        self.last_epoch += 1
        values = self.get_lr()
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
