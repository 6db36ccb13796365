"""``Flatten``: merge a range of axes into one, as ``torch.nn.Flatten``."""

from __future__ import annotations

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.shape import flatten
from nnblocks.nn.module import Module


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` (default: all but the batch axis) into one.

    Shapes:
        x: ``(N, *dims)``; y: ``(N, prod(dims))`` with the defaults.

    >>> import nnblocks as nb
    >>> nb.nn.Flatten()(nb.tensor(np.zeros((2, 3, 4, 5)))).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        ndim = len(np.shape(getattr(x, "array", x)))
        for name, dim in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -max(ndim, 1) <= dim < max(ndim, 1):
                raise IndexError(f"{self!r}: {name}={dim} is out of range for an input with "
                                 f"{ndim} dims (shape {np.shape(getattr(x, 'array', x))})")
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
