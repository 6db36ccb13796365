"""Adam (Kingma & Ba 2014) with the paper's bias correction, and AdamW (Loshchilov & Hutter)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.kernels import elementwise as kernel_elementwise
from nnblocks.kernels.dispatch import Twin, use_compiled
from nnblocks.optim.optimizer import (
    Optimizer,
    ParamsT,
    check_nonnegative,
    check_unit_interval,
    lerp_,
)


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    Kingma & Ba (2014), "Adam: A method for stochastic optimization", arXiv:1412.6980. The
    lecture's form (cs231n) keeps a smoothed gradient m and a smoothed squared gradient v::

        m = beta1*m + (1-beta1)*dx
        v = beta2*v + (1-beta2)*(dx**2)
        x += - learning_rate * m / (np.sqrt(v) + eps)

    with the recommended eps = 1e-8, beta1 = 0.9, beta2 = 0.999. Because m and v start at zero
    they are biased towards zero early on; the paper (Algorithm 1) divides them by
    :math:`1 - \beta_1^t` and :math:`1 - \beta_2^t`, as done here. AMSGrad (Reddi, Kale & Kumar
    2018, "On the convergence of Adam and beyond") normalizes by the running maximum of v.

    Algorithm (γ lr, β1, β2 betas, λ weight_decay, ε eps)::

        m_0 = 0, v_0 = 0, v^max_0 = 0
        for t = 1, 2, ...:
            g_t = -∇f_t(θ_{t-1}) if maximize else ∇f_t(θ_{t-1})
            if λ ≠ 0:
                if decoupled (AdamW):  θ_{t-1} = θ_{t-1} (1 - γ λ)
                else:                  g_t = g_t + λ θ_{t-1}
            m_t = β1 m_{t-1} + (1 - β1) g_t
            v_t = β2 v_{t-1} + (1 - β2) g_t²
            m̂_t = m_t / (1 - β1^t)
            if amsgrad:
                v^max_t = max(v^max_{t-1}, v_t)
                v̂_t = v^max_t / (1 - β2^t)
            else:
                v̂_t = v_t / (1 - β2^t)
            θ_t = θ_{t-1} - γ m̂_t / (√v̂_t + ε)

    Numerics: as PyTorch, the last line is computed as
    ``θ - (γ / (1 - β1^t)) m_t / (√v_t / √(1 - β2^t) + ε)``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate γ (default 1e-3).
        betas: (β1, β2), decay rates of the two moving averages (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        amsgrad: use the AMSGrad variant.
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding λθ to the
            gradient.

    State per parameter: ``step`` (int), ``exp_avg``, ``exp_avg_sq``; ``max_exp_avg_sq`` when
    amsgrad.
    """

    #: the compiled update (one pass, bit-identical): see nnblocks.kernels.dispatch
    compiled_twin = Twin(kernel_elementwise.supported)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        check_nonnegative(name, group, "lr", "eps", "weight_decay")
        if "betas" in group:
            betas = group["betas"]
            if len(betas) != 2:
                raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
            check_unit_interval(name, group, "betas[0]", betas[0])
            check_unit_interval(name, group, "betas[1]", betas[1])

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p.array)
        state["exp_avg_sq"] = np.zeros_like(p.array)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p.array)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr = float(group["lr"])
        beta1 = float(group["betas"][0])
        beta2 = float(group["betas"][1])
        weight_decay = float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad                                                 # (*)
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1.0 - lr * weight_decay
            else:
                grad = grad + weight_decay * param                       # (*)
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if not group["amsgrad"] and use_compiled(self, param, grad, exp_avg, exp_avg_sq):
            # the same operations in one compiled pass (bit-identical, see nnblocks.kernels)
            scalar = param.dtype.type
            kernel_elementwise.adam_update(
                param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                abs(1.0 - beta1) < 0.5, scalar(1.0 - beta1), scalar(1.0 - (1.0 - beta1)),
                scalar(beta2), scalar(1.0 - beta2), scalar(-step_size),
                scalar(bias_correction2_sqrt), scalar(group["eps"]))
            return
        lerp_(exp_avg, grad, 1.0 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad                        # (*)
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt      # (*)
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt          # (*)
        denom += float(group["eps"])
        param += -step_size * exp_avg / denom                            # (*)


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR. The weights shrink
    by :math:`\theta \leftarrow \theta (1 - \gamma \lambda)` before the Adam step, instead of
    :math:`\lambda\theta` being added to the gradient (where Adam's normalization would weaken
    it). See :class:`Adam` for the algorithm; the default weight decay is 1e-2.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; the weight decay stays decoupled."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
