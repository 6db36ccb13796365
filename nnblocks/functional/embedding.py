r"""Embedding lookup (a table of learned vectors indexed by integers) and one-hot encoding.

An embedding is a Linear layer applied to one-hot inputs, computed without the one-hot matrix:
row :math:`i` of the weight *is* the output for index :math:`i`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor

Array = np.ndarray


class EmbeddingBlock(Block):
    r"""Look up rows of a weight table: :math:`y[\dots] = W[i[\dots]]`.

    .. math::
        y_{\dots, :} = W_{i_{\dots}, :}, \qquad
        g_{W_{r,:}} = \sum_{\dots : i_{\dots} = r} g_{y_{\dots, :}}

    (each row's gradient sums the output gradients of every position that looked it up). With
    ``padding_idx`` that row gets no gradient; with ``scale_grad_by_freq`` each row's gradient
    is divided by how many times the row occurs in ``i`` (PyTorch's option).

    Shapes:
        indices: ``(*)`` integers in ``[0, V)``; weight: ``(V, D)``; y: ``(*, D)``;
        g_W: ``(V, D)``. The indices get no gradient.
    """

    @staticmethod
    def forward(indices: Array, weight: Array, *, padding_idx: int | None = None,
                scale_grad_by_freq: bool = False) -> tuple[Array, tuple]:
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"embedding: indices must be integers (int64), got dtype "
                            f"{indices.dtype}; convert them with .long()")
        if weight.ndim != 2:
            raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                             f"got shape {weight.shape}")
        v = weight.shape[0]
        if indices.size and (indices.min() < 0 or indices.max() >= v):
            bad = indices[(indices < 0) | (indices >= v)].flat[0]
            raise IndexError(f"embedding: index {bad} is out of range for a table of {v} rows "
                             f"(indices must be in [0, {v - 1}])")
        y = weight[indices]                                      # (*, D)
        return y, (indices, weight.shape, padding_idx, scale_grad_by_freq)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[None, Array]:
        indices, shape, padding_idx, scale_grad_by_freq = saved
        flat = indices.reshape(-1)                               # (M,)
        rows = gy.reshape(-1, shape[1])                          # (M, D)
        gw = np.zeros(shape, dtype=gy.dtype)                     # (V, D)
        np.add.at(gw, flat, rows)                                # scatter-add, one pass
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=shape[0]).astype(gy.dtype)   # (V,)
            gw /= np.maximum(counts, 1.0)[:, None]
        if padding_idx is not None:
            gw[padding_idx] = 0.0
        return None, gw


def _padding_index(padding_idx: int | None, num_embeddings: int, who: str) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{who}: padding_idx must be within num_embeddings "
                         f"({num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer ``input`` (:class:`EmbeddingBlock`), as
    ``torch.nn.functional.embedding``. With ``max_norm`` the looked-up rows whose
    ``norm_type``-norm exceeds it are first rescaled to that norm **in place** in ``weight``
    (as PyTorch does)."""
    if sparse:
        raise ValueError("embedding: sparse=True is not supported (nnblocks has no sparse "
                         "gradients); leave it False")
    indices = input.array if isinstance(input, Tensor) else np.asarray(input)
    table = weight.array if isinstance(weight, Tensor) else np.asarray(weight)
    padding_idx = _padding_index(padding_idx, table.shape[0], "embedding")
    if max_norm is not None:
        renorm_(table, indices, float(max_norm), float(norm_type))
    ids = input if isinstance(input, Tensor) else indices     # a tensor stays traceable (ONNX)
    return EmbeddingBlock.apply(ids, weight, padding_idx=padding_idx,
                                scale_grad_by_freq=scale_grad_by_freq)


def renorm_(table: Array, indices: Array, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``table`` used by ``indices`` whose norm exceeds
    ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``: scale
    ``max_norm / (norm + 1e-7)``)."""
    rows = np.unique(np.asarray(indices).reshape(-1))
    if rows.size == 0:
        return
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)   # (R,)
    over = norms > max_norm
    scale = max_norm / (norms[over] + 1e-7)
    table[rows[over]] *= scale[:, None].astype(table.dtype)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices ``(*)`` to one-hot int64 vectors ``(*, num_classes)``, as
    ``torch.nn.functional.one_hot`` (``num_classes=-1``: the largest index + 1). No gradient.

    >>> one_hot(Tensor(np.array([0, 2])), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    labels = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer (int64) class values, got dtype "
                        f"{labels.dtype}")
    if labels.size and labels.min() < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes}), got {int(labels.max())}")
    out = np.zeros(labels.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.int64), 1, axis=-1)
    return Tensor(out)
