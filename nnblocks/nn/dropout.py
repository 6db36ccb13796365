"""``Dropout``: inverted dropout with an explicit random generator."""

from __future__ import annotations

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.dropout import dropout, dropout1d, dropout2d
from nnblocks.nn.module import Module


class Dropout(Module):
    r"""Zero each element with probability ``p`` in training and scale the rest by
    :math:`1/(1-p)`; the identity in evaluation (:func:`nnblocks.functional.dropout`).

    Args:
        p: probability of zeroing an element, in ``[0, 1]``.
        inplace: accepted for PyTorch compatibility and ignored (computed out of place).
        rng: generator for the masks (default: nnblocks' default generator, seeded by
            ``nb.manual_seed``). PyTorch draws from its own generator, so masks differ from
            PyTorch's even with equal seeds.

    Shapes:
        x: ``(*)``; y: like x.

    >>> import nnblocks as nb
    >>> nb.nn.Dropout(0.2)
    Dropout(p=0.2, inplace=False)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace
        self.rng = rng

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) input with probability ``p`` in
    training (:func:`nnblocks.functional.dropout1d`); the identity in evaluation."""

    def forward(self, x: Tensor) -> Tensor:
        return dropout1d(x, self.p, self.training, rng=self.rng)


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` input with probability ``p`` in training
    (:func:`nnblocks.functional.dropout2d`); the identity in evaluation."""

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training, rng=self.rng)
