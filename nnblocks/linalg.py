"""``torch.linalg``'s norms: :func:`vector_norm`, and :func:`norm` for the vector cases.

>>> import nnblocks as nb
>>> nb.linalg.vector_norm(nb.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

from typing import Any

from nnblocks.functional.dims import Dims
from nnblocks.functional.vector_norms import vector_norm

__all__ = ["norm", "vector_norm"]


def norm(x: Any, ord: Any = None, dim: Dims = None, keepdim: bool = False, *,
         dtype: Any = None) -> Any:
    """``torch.linalg.norm`` where it is a vector norm: ``ord=None`` (the 2-norm of all
    elements, i.e. the Frobenius norm of a matrix), or any positive finite ``ord`` over one
    ``dim`` or of a 1-D tensor. Matrix norms (``ord`` with a 2-D ``dim``) raise, saying what to
    write instead."""
    if ord is None:
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    ndim = len(x.shape)
    if isinstance(dim, int) or (dim is None and ndim == 1) or (
            isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(x, ord, dim, keepdim, dtype=dtype)
    raise NotImplementedError(
        f"linalg.norm: matrix norms (ord={ord!r} over 2 dims) are not implemented in nnblocks; "
        "use linalg.vector_norm for a vector norm of all elements, or ord=None / 'fro' "
        "via Tensor.norm() for the Frobenius norm")
