"""Adagrad: per-parameter rates from the running sum of squared gradients (Duchi et al. 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.optim.optimizer import Optimizer, ParamsT, check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    Duchi, Hazan & Singer (2011), "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12. The lecture's form (cs231n)::

        cache += dx**2
        x += - learning_rate * dx / (np.sqrt(cache) + eps)

    the cache keeps each parameter's sum of squared gradients: parameters with large gradients get
    a smaller rate, rarely updated ones a larger one.

    Algorithm (γ lr, λ weight_decay, η lr_decay, τ initial_accumulator_value, ε eps)::

        state_sum_0 = τ
        for t = 1, 2, ...:
            g_t = -∇f_t(θ_{t-1}) if maximize else ∇f_t(θ_{t-1})
            γ̃ = γ / (1 + (t - 1) η)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            state_sum_t = state_sum_{t-1} + g_t²
            θ_t = θ_{t-1} - γ̃ g_t / (√state_sum_t + ε)

    Args:
        params: parameters or parameter groups.
        lr: learning rate γ (default 1e-2).
        lr_decay: learning-rate decay η (default 0).
        weight_decay: L2 penalty λ (default 0).
        initial_accumulator_value: starting value τ of the sum of squares (default 0).
        eps: term added to the denominator for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``step`` (int), ``sum`` (array). Unlike PyTorch, which fills the state
    of every parameter in the constructor, the state is created at a parameter's first update
    (the trajectory is the same), and each group's own ``initial_accumulator_value`` is used
    (PyTorch uses the constructor's for groups added later).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            "Adagrad", group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"
        )

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(p.array, float(group["initial_accumulator_value"]))

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        weight_decay = float(group["weight_decay"])
        state["step"] += 1
        step = state["step"]
        if group["maximize"]:
            grad = -grad                                                 # (*)
        if weight_decay != 0:
            grad = grad + weight_decay * param                           # (*)
        clr = float(group["lr"]) / (1 + (step - 1) * float(group["lr_decay"]))
        state_sum = state["sum"]
        state_sum += grad * grad                                         # (*)
        std = np.sqrt(state_sum)                                         # (*)
        std += float(group["eps"])
        param += -clr * grad / std                                       # (*)
