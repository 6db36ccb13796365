"""``Flatten``: merge a range of axes into one, as ``torch.nn.Flatten``; ``Unflatten``: split one
axis into several, as ``torch.nn.Unflatten``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.shape import flatten, reshape
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


class Unflatten(Module):
    """Split dim ``dim`` into the shape ``unflattened_size``, as ``torch.nn.Unflatten``.

    Shapes:
        x: ``(*, prod(unflattened_size) at dim, *)``; y: ``(*, *unflattened_size, *)``.

    >>> import nnblocks as nb
    >>> nb.nn.Unflatten(1, (3, 4))(nb.zeros(2, 12)).shape
    (2, 3, 4)
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        shape = np.shape(getattr(x, "array", x))
        ndim = len(shape)
        if not -ndim <= self.dim < ndim:
            raise IndexError(f"{self!r}: dim={self.dim} is out of range for an input with "
                             f"{ndim} dims (shape {shape})")
        d = self.dim % ndim
        sizes = self.unflattened_size
        known = int(np.prod([s for s in sizes if s != -1]))
        if (-1 not in sizes and known != shape[d]) or (-1 in sizes and shape[d] % max(known, 1)):
            raise RuntimeError(f"{self!r}: unflattened_size {sizes} does not match dim {d} of "
                               f"size {shape[d]} (input shape {shape})")
        return reshape(x, shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
