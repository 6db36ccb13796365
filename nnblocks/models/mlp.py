"""``mlp``: a multilayer perceptron on flattened inputs (images, points, sequences)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks import nn


class FlatMLP(nn.Module):
    """Flatten each example, then :class:`~nnblocks.nn.MLP`: ``Linear → act → ... → Linear``.

    Shapes:
        x: ``(N, *)`` with ``prod(*) == in_features``; output ``(N, out_features)`` logits.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden_sizes: Sequence[int] = (128,),
        activation: str = "relu",
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.net = nn.MLP(in_features, list(hidden_sizes), out_features, activation, rng=rng)

    def forward(self, x: Any) -> Any:
        return self.net(x.reshape(x.shape[0], -1))                   # (N, D) → (N, C)
