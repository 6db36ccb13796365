r"""Dropout (Srivastava et al. 2014), in its *inverted* form: scale at training time so that
evaluation is the identity.

Each element is kept with probability :math:`1 - p` and scaled by :math:`1 / (1 - p)`, so
:math:`\mathbb E[y] = x` and nothing needs rescaling at test time. The random mask is drawn by
the wrapper from an explicit generator and passed to the block as a constant: the block itself
is pure math.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Block, Tensor

Array = np.ndarray


class DropoutBlock(Block):
    r"""Multiply by a fixed, pre-scaled mask :math:`m \in \{0, 1/(1-p)\}`.

    .. math::
        y = x \odot m, \qquad g_x = g_y \odot m

    Shapes:
        x: ``(*)``; mask: ``(*)`` (or broadcastable to x) in the dtype of x; y, g_x: like x.
    """

    @staticmethod
    def forward(x: Array, mask: Array) -> tuple[Array, Array]:
        if np.broadcast_shapes(np.shape(mask), x.shape) != x.shape:
            raise ValueError(f"dropout: mask of shape {np.shape(mask)} does not fit x {x.shape}")
        return x * mask, mask

    @staticmethod
    def backward(mask: Array, gy: Array) -> tuple[Array, None]:
        return gy * mask, None


def dropout_mask(shape: tuple[int, ...], p: float, dtype: Any,
                 rng: np.random.Generator | None = None) -> Array:
    """A mask of zeros (probability ``p``) and ``1 / (1 - p)`` (probability ``1 - p``)."""
    if p >= 1.0:
        return np.zeros(shape, dtype=dtype)
    keep = get_rng(rng).random(shape) >= p                       # shape, bool
    return keep.astype(dtype) * (1.0 / (1.0 - p))


def dropout(x: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout (:class:`DropoutBlock`); the identity when ``training`` is False or
    ``p == 0``.

    Args:
        x: the input tensor.
        p: probability of zeroing an element, in ``[0, 1]``.
        training: apply dropout (True) or return ``x`` unchanged.
        rng: generator for the mask (default: nnblocks' default generator).

    >>> import nnblocks as nb
    >>> y = dropout(nb.tensor([1.0, 1.0, 1.0, 1.0]), p=0.5, rng=np.random.default_rng(0))
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    data = getattr(x, "array", np.asarray(x))
    return DropoutBlock.apply(x, dropout_mask(data.shape, p, data.dtype, rng))


def _feature_dropout(x: Any, p: float, training: bool, rng: np.random.Generator | None,
                     ndims: tuple[int, ...], who: str) -> Tensor:
    """Zero whole channels: one mask value per (sample, channel), broadcast over the rest."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: probability p must be in [0, 1], got {p}")
    data = getattr(x, "array", np.asarray(x))
    if data.ndim not in ndims:
        raise ValueError(f"{who}: expected a {' or '.join(f'{n}-D' for n in ndims)} input, got "
                         f"shape {data.shape}")
    if not training or p == 0.0:
        return x if isinstance(x, Tensor) else Tensor(data)
    batched = data.ndim == max(ndims) or who == "dropout2d"
    channels = 2 if batched else 1                 # (N, C, ...) or unbatched (C, ...)
    shape = data.shape[:channels] + (1,) * (data.ndim - channels)
    return DropoutBlock.apply(x, dropout_mask(shape, p, data.dtype, rng))


def dropout1d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for ``(N, C, L)`` or unbatched ``(C, L)`` input: each channel of each
    sample is zeroed with probability ``p`` (else scaled by ``1 / (1 - p)``), as
    ``torch.nn.functional.dropout1d``."""
    return _feature_dropout(x, p, training, rng, (2, 3), "dropout1d")


def dropout2d(x: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for ``(N, C, H, W)`` input, as ``torch.nn.functional.dropout2d``. A 3-D
    input is taken as ``(N, C, L)`` (PyTorch's current behaviour, which it warns about)."""
    return _feature_dropout(x, p, training, rng, (3, 4), "dropout2d")
