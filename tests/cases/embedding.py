"""Block cases for the embedding lookup (nnblocks.functional.embedding)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.embedding import EmbeddingBlock, embedding
from tests.cases import Case


def _torch_f():
    import torch

    return torch.nn.functional


def _lookup(index_shape: tuple, vocabulary: int = 7, dim: int = 3):
    """Indices with repeats (so rows accumulate several gradients) and a float64 table."""

    def make(rng: np.random.Generator) -> list:
        indices = rng.integers(0, vocabulary, size=index_shape)
        indices.reshape(-1)[:2] = 0                            # row 0 used at least twice
        table = nb.tensor(rng.standard_normal((vocabulary, dim)), requires_grad=True)
        return [nb.tensor(indices), table]

    return make


def _reference(indices, table):
    return table[indices]


CASES = [
    Case(EmbeddingBlock, "embedding", embedding, _lookup((4, 5)), reference=_reference,
         torch_fn=lambda i, w: _torch_f().embedding(i, w)),
    Case(EmbeddingBlock, "embedding_padding_idx", lambda i, w: embedding(i, w, padding_idx=0),
         _lookup((6,)), torch_fn=lambda i, w: _torch_f().embedding(i, w, padding_idx=0),
         gradcheck=False, note="the padding row's gradient is zero by definition, not the "
         "derivative; the derivative itself is checked by the plain case"),
    Case(EmbeddingBlock, "embedding_scale_grad_by_freq",
         lambda i, w: embedding(i, w, scale_grad_by_freq=True), _lookup((3, 4)),
         torch_fn=lambda i, w: _torch_f().embedding(i, w, scale_grad_by_freq=True),
         gradcheck=False, note="the scaled gradient is deliberately not the derivative "
         "(PyTorch's option); checked against PyTorch"),
]
