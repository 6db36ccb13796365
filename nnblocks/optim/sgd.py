"""Minibatch stochastic gradient descent with momentum (Goodfellow et al. 2016, Algorithm 8.1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.kernels import elementwise as kernel_elementwise
from nnblocks.kernels.dispatch import Twin, use_compiled
from nnblocks.optim.optimizer import Optimizer, ParamsT, check_nonnegative


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    The lecture's SGD (Goodfellow et al. 2016, Algorithm 8.1): with a minibatch of m examples,

    .. math::
        \hat g \leftarrow \frac{1}{m} \nabla_\theta \sum_i L(f(x^{(i)}; \theta), y^{(i)}),
        \qquad \theta \leftarrow \theta - \epsilon_k \hat g,

    and the lecture's momentum rule, :math:`v \leftarrow m v - \alpha \nabla_w f(w)`,
    :math:`w \leftarrow w + v` (typically m = 0.9). PyTorch (and this class) keeps the buffer
    without the learning rate, :math:`b \leftarrow \mu b + g`, :math:`\theta \leftarrow \theta -
    \gamma b`: for a constant learning rate :math:`v = -\gamma b`, the same trajectory.

    Algorithm (γ lr, μ momentum, τ dampening, λ weight_decay)::

        for t = 1, 2, ...:
            g_t = -∇f_t(θ_{t-1}) if maximize else ∇f_t(θ_{t-1})
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            if μ ≠ 0:
                b_t = g_t                        if t = 1
                b_t = μ b_{t-1} + (1 - τ) g_t    otherwise
                g_t = g_t + μ b_t if nesterov else b_t
            θ_t = θ_{t-1} - γ g_t

    The first momentum buffer is the gradient itself (not dampened), as in PyTorch. Nesterov
    momentum follows Sutskever et al. (2013), "On the importance of initialization and momentum
    in deep learning".

    Args:
        params: parameters or parameter groups (see :class:`~nnblocks.optim.Optimizer`).
        lr: learning rate γ (default 1e-3, PyTorch's).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ of the gradient added to the buffer (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum; needs momentum > 0 and dampening = 0.
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``momentum_buffer`` (only when momentum ≠ 0).

    >>> import numpy as np
    >>> from nnblocks.nn import Parameter
    >>> w = Parameter(np.array([1.0, -2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = np.array([1.0, 1.0])
    >>> opt.step()
    >>> w.array
    array([ 0.9, -2.1])
    """

    #: the compiled update (one pass, bit-identical): see nnblocks.kernels.dispatch
    compiled_twin = Twin(kernel_elementwise.supported)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_nonnegative("SGD", group, "lr", "momentum", "weight_decay")
        if group.get("nesterov", False):
            momentum = group.get("momentum", 0.0)
            dampening = group.get("dampening", 0.0)
            if momentum <= 0 or dampening != 0:
                raise ValueError(
                    "SGD: nesterov momentum requires momentum > 0 and dampening = 0, got "
                    f"momentum={momentum!r}, dampening={dampening!r}"
                )

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        weight_decay = float(group["weight_decay"])
        d_p = -grad if group["maximize"] else grad                       # (*)
        if weight_decay != 0:
            d_p = d_p + weight_decay * param                             # (*)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = d_p.copy()                                         # (*)
                state["momentum_buffer"] = buf
            elif not group["nesterov"] and use_compiled(self, param, d_p, buf):
                # the three updates below in one compiled pass (bit-identical)
                scalar = param.dtype.type
                kernel_elementwise.momentum_update(
                    param.reshape(-1), d_p.reshape(-1), buf.reshape(-1), scalar(momentum),
                    scalar(1.0 - float(group["dampening"])), scalar(-lr))
                return
            else:
                buf *= momentum
                buf += (1.0 - float(group["dampening"])) * d_p
            if group["nesterov"]:
                d_p = d_p + momentum * buf                               # (*)
            else:
                d_p = buf
        param += -lr * d_p                                               # (*)
