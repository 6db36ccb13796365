"""``Embedding``: a table of learned vectors looked up by integer index."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor, no_grad
from nnblocks.functional.embedding import _padding_index, embedding
from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype


class Embedding(Module):
    r"""A lookup table: index :math:`i` gives row :math:`W_i`
    (:func:`nnblocks.functional.embedding`).

    Args:
        num_embeddings: size of the table (indices are in ``[0, num_embeddings)``).
        embedding_dim: size of each vector.
        padding_idx: a row that gets no gradient and starts as zeros (e.g. a padding token).
        max_norm: rows looked up are first renormalized in place to at most this norm.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by its count in the batch.
        sparse: must be False (no sparse gradients in nnblocks).
        dtype: parameter dtype (default float32).
        rng: generator for the initialization (default: nnblocks' default generator).

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, :math:`\mathcal N(0, 1)` (PyTorch's init).

    Shapes:
        indices: ``(*)`` int64; y: ``(*, embedding_dim)``.

    >>> import nnblocks as nb
    >>> nb.nn.Embedding(10, 3, padding_idx=0)
    Embedding(10, 3, padding_idx=0)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None, _freeze: bool = False, *, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        if sparse:
            raise ValueError("Embedding: sparse=True is not supported (nnblocks has no sparse "
                             "gradients); leave it False")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        dtype = parameter_dtype(dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype))
            self.reset_parameters(rng)
        else:
            weight = np.array(getattr(_weight, "array", _weight), dtype=dtype)
            if weight.shape != shape:
                raise ValueError(f"Embedding: _weight has shape {weight.shape}, expected {shape}")
            self.weight = Parameter(weight, requires_grad=not _freeze)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """:math:`\\mathcal N(0, 1)`, and the padding row zeroed (PyTorch's initialization)."""
        init.normal_(self.weight, rng=rng)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose table is ``embeddings`` ``(V, D)`` (frozen unless told)."""
        data = np.asarray(getattr(embeddings, "array", embeddings))
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{data.shape}")
        return cls(data.shape[0], data.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=data, _freeze=freeze, dtype=data.dtype)

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text
