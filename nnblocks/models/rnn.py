"""``rnn``: a recurrent sequence classifier (Elman RNN, LSTM or GRU) reading the last state."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceClassifier(nn.Module):
    """Run a recurrent network over ``(N, T, D)`` and classify from the last step's output.

    Images ``(N, C, H, W)`` are read row by row: T = H steps of ``C·W`` features.

    Shapes:
        x: ``(N, T, D)`` or ``(N, C, H, W)``; output ``(N, num_classes)`` logits.
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int,
        hidden_size: int = 64,
        num_layers: int = 1,
        cell: str = "gru",
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"rnn: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True, rng=rng)
        self.fc = nn.Linear(hidden_size, num_classes, rng=rng)

    def forward(self, x: Any) -> Any:
        if x.ndim == 4:                                              # images: rows as steps
            n, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(n, h, c * w)           # (N, H, C·W)
        output, _ = self.rnn(x)                                      # (N, T, H)
        return self.fc(output[:, -1])                                # (N, classes)
