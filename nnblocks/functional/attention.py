"""Scaled dot-product attention as ``F.scaled_dot_product_attention``, composed from matmul,
softmax and where (the gradients are theirs)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.activation import softmax
from nnblocks.functional.dropout import dropout
from nnblocks.functional.math import matmul, where
from nnblocks.functional.shape import transpose


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False,
                                 *, rng: np.random.Generator | None = None) -> Tensor:
    r""":math:`\operatorname{softmax}(Q K^\top s + M)\, V` with :math:`s = 1/\sqrt{E}` unless
    ``scale`` is given, as PyTorch's.

    ``attn_mask``: bool (True where a query may attend: the others get :math:`-\infty`) or a
    float mask added to the scores; ``is_causal=True`` keeps keys ``j <= i`` (with no
    ``attn_mask``, as PyTorch requires). ``dropout_p > 0`` drops attention weights with
    nnblocks' generator (or ``rng``), as PyTorch's function does whenever it is given; pass
    ``dropout_p=0`` outside training, as PyTorch programs do (``p if self.training else 0``).

    Shapes:
        query: ``(*, L, E)``; key: ``(*, S, E)``; value: ``(*, S, Ev)``; attn_mask
        broadcastable to ``(*, L, S)``; output: ``(*, L, Ev)``.
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not "
                                  "supported by nnblocks; repeat the key/value heads first")
    q = query.array if isinstance(query, Tensor) else np.asarray(query)
    k = key.array if isinstance(key, Tensor) else np.asarray(key)
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query (*, L, E) and key (*, S, E) "
                           f"must end in the same E, got shapes {q.shape} and {k.shape}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: give either attn_mask or "
                           "is_causal=True, not both (as PyTorch)")
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = matmul(query, transpose(key, -2, -1)) * s                   # (*, L, S)
    minus_inf = np.array(-np.inf, dtype=scores.dtype)
    if is_causal:
        L, S = q.shape[-2], k.shape[-2]
        attn_mask = np.tril(np.ones((L, S), dtype=bool))                 # (L, S)
    if attn_mask is not None:
        m = attn_mask.array if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if m.dtype == np.bool_:
            scores = where(m, scores, minus_inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)                                        # (*, L, S)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, rng)
    return matmul(weights, value)                                        # (*, L, Ev)
