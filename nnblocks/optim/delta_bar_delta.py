"""The delta-bar-delta rule: one adaptive learning rate per parameter (Jacobs 1988)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.optim.optimizer import (
    Optimizer,
    ParamsT,
    check_nonnegative,
    check_unit_interval,
    required,
)


class DeltaBarDelta(Optimizer):
    r"""Delta-bar-delta: per-parameter learning rates that grow while the gradient keeps its sign.

    Jacobs, R. A. (1988), "Increased rates of convergence through learning rate adaptation",
    Neural Networks 1(4), 295-307. The lecture (after Goodfellow et al. 2016): "If the partial
    w.r.t. a given model parameter remains the same sign, then the learning rate should increase.
    If it changes sign, then the learning rate should decrease." Each weight :math:`w_i` has its
    own rate :math:`\epsilon_i`; with :math:`\delta_i(t) = \partial E(t) / \partial w_i(t)` and
    its exponential average ("bar delta")

    .. math::
        \bar\delta_i(t) = (1 - \theta)\, \delta_i(t) + \theta\, \bar\delta_i(t-1),

    the rate changes by

    .. math::
        \Delta\epsilon_i(t) = \begin{cases}
            \kappa & \text{if } \bar\delta_i(t-1)\, \delta_i(t) > 0 \\
            -\phi\, \epsilon_i(t) & \text{if } \bar\delta_i(t-1)\, \delta_i(t) < 0 \\
            0 & \text{otherwise,}
        \end{cases}

    an additive increase (slow growth while the descent direction persists) and a multiplicative
    decrease (fast shrinking when the step overshoots and the gradient flips sign), and the weight
    moves by :math:`w_i(t+1) = w_i(t) - \epsilon_i(t+1)\, \delta_i(t)`.

    Algorithm (ε_0 lr, κ kappa, φ phi, θ theta)::

        ε_0 = lr (every element), δ̄_0 = 0
        for t = 1, 2, ...:
            δ_t = ∇E_t(w_{t-1})
            p = δ̄_{t-1} ⊙ δ_t
            ε_t = ε_{t-1} + κ          where p > 0
            ε_t = ε_{t-1} - φ ε_{t-1}  where p < 0
            ε_t = ε_{t-1}              where p = 0
            w_t = w_{t-1} - ε_t ⊙ δ_t
            δ̄_t = (1 - θ) δ_t + θ δ̄_{t-1}

    Choices, documented:

    - Order. As in the paper, the rate is adapted first, from the bar-delta of the *previous*
      step and the current gradient, and the weight update then uses the new rate (the paper's
      :math:`w(t+1) = w(t) - \epsilon(t+1)\,\partial E(t)/\partial w(t)`); the bar-delta is
      updated last, so the comparison is never with itself.
    - Start. :math:`\bar\delta(0) = 0`, so the first step is plain gradient descent with rate
      ``lr`` and no rate change.
    - The paper trains full-batch and also combines the rule with momentum; this class is the
      rule alone (use it with whole-batch or large-batch gradients: minibatch noise flips signs
      and shrinks the rates).
    - With κ = φ = 0 it is exactly :class:`~nnblocks.optim.SGD` without momentum.
    - ``lr`` only sets the rates' starting value, when a parameter is first updated; from then
      on the rule owns them, so a learning-rate scheduler (which rewrites ``group["lr"]``) has
      no effect — as with PyTorch's ``Rprop``, whose step sizes adapt the same way.

    Args:
        params: parameters or parameter groups.
        lr: initial learning rate ε_0 of every element.
        kappa: additive increase κ ≥ 0.
        phi: multiplicative decrease φ in [0, 1] (a rate that flips sign becomes (1 - φ) ε).
        theta: decay θ in [0, 1) of the bar-delta average (weight of the past).

    State per parameter: ``step`` (int), ``rates`` (ε, array), ``delta_bar`` (δ̄, array).

    >>> import numpy as np
    >>> from nnblocks.nn import Parameter
    >>> w = Parameter(np.array([1.0]))
    >>> opt = DeltaBarDelta([w], lr=0.25, kappa=0.125, phi=0.5, theta=0.5)
    >>> for _ in range(2):
    ...     w.grad = w.array.copy()       # E = w^2 / 2
    ...     opt.step()
    >>> opt.state[w]["rates"]            # the gradient kept its sign: 0.25 + 0.125
    array([0.375])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = required,
        kappa: float = required,
        phi: float = required,
        theta: float = required,
    ) -> None:
        defaults = {"lr": lr, "kappa": kappa, "phi": phi, "theta": theta}
        super().__init__(params, defaults)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_nonnegative("DeltaBarDelta", group, "lr", "kappa")
        if "phi" in group:
            phi = group["phi"]
            check_nonnegative("DeltaBarDelta", group, "phi")
            if phi > 1:
                raise ValueError(
                    f"DeltaBarDelta: invalid phi value {phi!r} (expected 0 <= phi <= 1)"
                )
        if "theta" in group:
            check_unit_interval("DeltaBarDelta", group, "theta", group["theta"])

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["rates"] = np.full_like(p.array, float(group["lr"]))
        state["delta_bar"] = np.zeros_like(p.array)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        kappa = float(group["kappa"])
        phi = float(group["phi"])
        theta = float(group["theta"])
        state["step"] += 1
        rates = state["rates"]
        delta_bar = state["delta_bar"]
        agreement = delta_bar * grad                                     # (*)
        grow = agreement > 0                                             # (*)
        shrink = agreement < 0                                           # (*)
        rates[grow] += kappa
        rates[shrink] -= phi * rates[shrink]
        param -= rates * grad                                            # (*)
        delta_bar *= theta
        delta_bar += (1.0 - theta) * grad                                # (*)
