"""``charrnn``: a character-level language model (one-hot → LSTM/GRU/RNN → logits per step),
its loss, and sampling text from it."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnblocks.functional as F
from nnblocks import nn
from nnblocks._random import get_rng
from nnblocks.core import Tensor, no_grad
from nnblocks.models.rnn import CELLS


class CharRNN(nn.Module):
    """Predict the next character at every step.

    Input ids are one-hot encoded (a constant: no gradient flows into the data), run through a
    recurrent network, and mapped to logits over the vocabulary.

    Shapes:
        ids: ``(N, T)`` int; output ``(N, T, V)`` logits (and the final state when asked).
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 128,
        num_layers: int = 1,
        cell: str = "lstm",
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"charrnn: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.vocab_size = int(vocab_size)
        self.rnn = CELLS[cell](vocab_size, hidden_size, num_layers, batch_first=True, rng=rng)
        self.fc = nn.Linear(hidden_size, vocab_size, rng=rng)

    def one_hot(self, ids: Any) -> Tensor:
        """``(N, T)`` ids -> ``(N, T, V)`` one-hot rows, computed with blocks (``ids == v`` then
        a select), so an ONNX export of the model takes the ids as its input."""
        ids = ids if isinstance(ids, Tensor) else Tensor(np.asarray(ids))
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"CharRNN: inputs must be integer character ids, got {ids.dtype}")
        if ids.numel() and (ids.array.min() < 0 or ids.array.max() >= self.vocab_size):
            raise ValueError(f"CharRNN: character ids must be in [0, {self.vocab_size})")
        dtype = self.fc.weight.dtype
        classes = np.arange(self.vocab_size, dtype=ids.dtype)             # (V,)
        hot = F.eq(F.unsqueeze(ids, -1), classes)                        # (N, T, V) bool
        return F.where(hot, np.ones((), dtype), np.zeros((), dtype))     # (N, T, V)

    def forward(self, ids: Any, state: Any = None, return_state: bool = False) -> Any:
        output, state = self.rnn(self.one_hot(ids), state)           # (N, T, H)
        logits = self.fc(output)                                     # (N, T, V)
        return (logits, state) if return_state else logits

    def sample(
        self,
        prompt_ids: Any,
        length: int,
        temperature: float = 1.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Continue ``prompt_ids`` by ``length`` characters drawn from
        ``softmax(logits / temperature)``; returns the new ids ``(length,)``."""
        if temperature <= 0:
            raise ValueError(f"sample: temperature must be > 0, got {temperature}")
        rng = get_rng(rng)
        prompt = np.asarray(prompt_ids, dtype=np.int64).reshape(1, -1)
        if prompt.size == 0:
            prompt = np.zeros((1, 1), dtype=np.int64)
        out = np.empty(length, dtype=np.int64)
        was_training = self.training
        self.eval()
        with no_grad():
            logits, state = self(prompt, return_state=True)
            for t in range(length):
                z = logits.array[0, -1].astype(np.float64) / temperature      # (V,)
                p = np.exp(z - z.max())
                out[t] = rng.choice(self.vocab_size, p=p / p.sum())
                logits, state = self(out[t:t + 1].reshape(1, 1), state, return_state=True)
        self.train(was_training)
        return out


class SequenceCrossEntropy(nn.Module):
    """Cross-entropy averaged over every step: logits ``(N, T, V)``, targets ``(N, T)``."""

    def forward(self, logits: Any, targets: Any) -> Any:
        v = logits.shape[-1]
        flat_targets = np.asarray(targets.array if isinstance(targets, Tensor) else targets)
        return F.cross_entropy(logits.reshape(-1, v), flat_targets.reshape(-1))
