"""RMSprop: Adagrad with a moving average of squared gradients (Hinton, Coursera lecture 6e)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.optim.optimizer import Optimizer, ParamsT, check_nonnegative, lerp_


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    Tieleman & Hinton (2012), Coursera "Neural Networks for Machine Learning", lecture 6e, slide
    29. The lecture's form (cs231n), a moving average instead of Adagrad's full sum::

        cache = decay_rate * cache + (1 - decay_rate) * dx**2
        x += - learning_rate * dx / (np.sqrt(cache) + eps)

    (the lecture's typical decay_rate is 0.9; PyTorch's default alpha is 0.99). The centered
    variant (Graves 2013, "Generating sequences with recurrent neural networks") divides by an
    estimate of the gradient's standard deviation instead of its root mean square.

    Algorithm (α alpha, γ lr, λ weight_decay, μ momentum, ε eps)::

        v_0 = 0, b_0 = 0, g^ave_0 = 0
        for t = 1, 2, ...:
            g_t = -∇f_t(θ_{t-1}) if maximize else ∇f_t(θ_{t-1})
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            v_t = α v_{t-1} + (1 - α) g_t²
            ṽ_t = v_t
            if centered:
                g^ave_t = g^ave_{t-1} + (1 - α)(g_t - g^ave_{t-1})
                ṽ_t = v_t - (g^ave_t)²
            if μ > 0:
                b_t = μ b_{t-1} + g_t / (√ṽ_t + ε)
                θ_t = θ_{t-1} - γ b_t
            else:
                θ_t = θ_{t-1} - γ g_t / (√ṽ_t + ε)

    Args:
        params: parameters or parameter groups.
        lr: learning rate γ (default 1e-2).
        alpha: smoothing constant α of the squared-gradient average (default 0.99).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        momentum: momentum factor μ (default 0).
        centered: normalize by the estimated variance of the gradient.
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``step`` (int), ``square_avg``; ``momentum_buffer`` when momentum > 0;
    ``grad_avg`` when centered.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_nonnegative("RMSprop", group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(p.array)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p.array)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p.array)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha = float(group["alpha"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        lr = float(group["lr"])
        if group["maximize"]:
            grad = -grad                                                 # (*)
        state["step"] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param                           # (*)
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * grad * grad                        # (*)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, 1.0 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)              # (*)
        else:
            avg = np.sqrt(square_avg)                                    # (*)
        avg += float(group["eps"])
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg                                            # (*)
            param += -lr * buf                                           # (*)
        else:
            param += -lr * grad / avg                                    # (*)
