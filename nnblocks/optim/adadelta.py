"""Adadelta: per-parameter steps from running averages of squared gradients and squared
updates (Zeiler 2012), as ``torch.optim.Adadelta``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.optim.optimizer import Optimizer, ParamsT, check_nonnegative


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    Zeiler (2012), "ADADELTA: an adaptive learning rate method", arXiv:1212.5701, Algorithm 1:
    the step of each parameter is the ratio of two running RMS values — of past updates and of
    past gradients — so it has the units of the parameter and needs no global rate (``lr``
    only scales it; 1.0 is Zeiler's method).

    Algorithm (γ lr, ρ rho, ε eps, λ weight_decay)::

        v_0 = 0 (square_avg), u_0 = 0 (acc_delta)
        for t = 1, 2, ...:
            g_t = -∇f_t(θ_{t-1}) if maximize else ∇f_t(θ_{t-1})
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            v_t = ρ v_{t-1} + (1 - ρ) g_t²
            Δx_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
            u_t = ρ u_{t-1} + (1 - ρ) Δx_t²
            θ_t = θ_{t-1} - γ Δx_t

    Args:
        params: parameters or parameter groups.
        lr: scale of each step (default 1.0).
        rho: decay of the running averages, in [0, 1] (default 0.9).
        eps: added inside both square roots (default 1e-6).
        weight_decay: L2 penalty λ (default 0).
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``step`` (int), ``square_avg``, ``acc_delta`` (arrays).
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_nonnegative("Adadelta", group, "lr", "eps", "weight_decay")
        rho = group.get("rho", 0.9)
        if not isinstance(rho, (int, float)) or not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {rho!r} (expected 0 <= rho <= 1)")

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(p.array)
        state["acc_delta"] = np.zeros_like(p.array)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        rho, eps = float(group["rho"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        state["step"] += 1
        if group["maximize"]:
            grad = -grad                                                 # (*)
        if weight_decay != 0:
            grad = grad + weight_decay * param                           # (*)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad                            # v_t
        std = np.sqrt(square_avg + eps)                                  # (*)
        delta = np.sqrt(acc_delta + eps) / std * grad                    # Δx_t
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta                           # u_t
        param += -float(group["lr"]) * delta                             # (*)
