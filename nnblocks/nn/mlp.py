"""``MLP``: the multilayer perceptron of the lecture, a ``Sequential`` of Linear layers and
activations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnblocks.nn import activation as act
from nnblocks.nn.container import Sequential
from nnblocks.nn.dropout import Dropout
from nnblocks.nn.linear import Linear
from nnblocks.nn.module import Module

#: activation names accepted by :class:`MLP`
ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": act.ReLU,
    "tanh": act.Tanh,
    "sigmoid": act.Sigmoid,
    "elu": act.ELU,
    "leaky_relu": act.LeakyReLU,
    "softplus": act.Softplus,
    "gelu": act.GELU,
}


class MLP(Sequential):
    r"""Fully connected feed-forward network
    :math:`\hat y = f_n(\dots f_2(f_1(x; \theta_1); \theta_2) \dots; \theta_n)`:
    ``Linear → activation [→ Dropout]`` for each hidden size, then a last ``Linear`` (no output
    activation: pair it with a loss on logits).

    It is a :class:`Sequential`, so the state-dict keys are the positions — ``0.weight``,
    ``0.bias``, ``2.weight``, ... — exactly those of the same stack written as
    ``torch.nn.Sequential(Linear, ReLU, Linear)``, whose state dict loads directly.

    Args:
        in_features: size of each input.
        hidden_sizes: sizes of the hidden layers (may be empty: a linear model).
        out_features: size of each output.
        activation: a name in :data:`ACTIVATIONS` or a callable returning a new module.
        bias: give every Linear layer a bias.
        dropout: if > 0, a :class:`Dropout` after each hidden activation.
        dtype: parameter dtype (default float32).
        rng: generator for the initialization and the dropout masks.

    Shapes:
        x: ``(*, in_features)``; y: ``(*, out_features)``.

    >>> import nnblocks as nb
    >>> nb.nn.MLP(2, [8], 1)
    MLP(
      (0): Linear(in_features=2, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], out_features: int,
                 activation: str | Callable[[], Module] = "relu", bias: bool = True,
                 dropout: float = 0.0, *, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        if isinstance(activation, str):
            if activation not in ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                                 f"{sorted(ACTIVATIONS)} or pass a callable returning a Module")
            make_activation = ACTIVATIONS[activation]
        else:
            make_activation = activation
        layers: list[Module] = []
        sizes = [in_features, *hidden_sizes]
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers.append(Linear(fan_in, fan_out, bias, dtype=dtype, rng=rng))
            layers.append(make_activation())
            if dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
        layers.append(Linear(sizes[-1], out_features, bias, dtype=dtype, rng=rng))
        super().__init__(*layers)
        self.in_features = in_features
        self.hidden_sizes = tuple(hidden_sizes)
        self.out_features = out_features
