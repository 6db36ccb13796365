"""More of the Tensor's methods, as a mixin of :class:`~nnblocks.core.Tensor`: indexing
(``gather``, ``index_select`` ...), running sums, logic and tests, more reductions.

Each calls the functional layer through the late-bound ``_F`` of
:mod:`nnblocks.core.tensor_ops` (the module docstring there says why), with PyTorch's
signature and meaning.
"""

from __future__ import annotations

from typing import Any

from nnblocks.core import tensor_ops


def _dims_arg(dims: tuple) -> Any:
    """``x.flip(0, 1)`` and ``x.flip((0, 1))`` both mean dims (0, 1)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return dims


class TensorMoreOps:
    """Methods of :class:`~nnblocks.core.Tensor` beyond the everyday ones of
    :class:`~nnblocks.core.tensor_ops.TensorOps`."""

    __slots__ = ()

    # ------------------------------------------------------------------ indexing
    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:
        return tensor_ops._F.gather(self, dim, index)

    def index_select(self, dim: int, index: Any) -> Any:
        return tensor_ops._F.index_select(self, dim, index)

    def masked_select(self, mask: Any) -> Any:
        return tensor_ops._F.masked_select(self, mask)

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Any:
        return tensor_ops._F.repeat_interleave(self, repeats, dim, output_size=output_size)

    def flip(self, *dims: Any) -> Any:
        return tensor_ops._F.flip(self, _dims_arg(dims))

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        return tensor_ops._F.roll(self, shifts, dims)

    def unbind(self, dim: int = 0) -> tuple:
        return tensor_ops._F.unbind(self, dim)

    def movedim(self, source: Any, destination: Any) -> Any:
        return tensor_ops._F.movedim(self, source, destination)

    moveaxis = movedim

    def diag(self, diagonal: int = 0) -> Any:
        return tensor_ops._F.diag(self, diagonal)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return tensor_ops._F.nonzero(self, as_tuple=as_tuple)

    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        return tensor_ops._F.unique(self, sorted, return_inverse, return_counts, dim)

    def where(self, condition: Any, other: Any) -> Any:
        """``self`` where ``condition`` is true, else ``other`` (``torch.where(condition, self,
        other)``)."""
        return tensor_ops._F.where(condition, self, other)

    # ------------------------------------------------------------------ running sums, products
    def cumsum(self, dim: int, *, dtype: Any = None) -> Any:
        return tensor_ops._F.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Any:
        return tensor_ops._F.cumprod(self, dim, dtype=dtype)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        return tensor_ops._F.prod(self, dim, keepdim, dtype=dtype)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Any:
        return tensor_ops._F.logsumexp(self, dim, keepdim)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return tensor_ops._F.median(self, dim, keepdim)

    def outer(self, vec2: Any) -> Any:
        return tensor_ops._F.outer(self, vec2)

    def dot(self, tensor: Any) -> Any:
        return tensor_ops._F.dot(self, tensor)

    def clamp_min(self, min: Any) -> Any:
        return tensor_ops._F.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Any:
        return tensor_ops._F.clamp_max(self, max)

    # ------------------------------------------------------------------ tests and logic
    def isnan(self) -> Any:
        return tensor_ops._F.isnan(self)

    def isinf(self) -> Any:
        return tensor_ops._F.isinf(self)

    def isfinite(self) -> Any:
        return tensor_ops._F.isfinite(self)

    def any(self, dim: Any = None, keepdim: bool = False) -> Any:
        return tensor_ops._F.any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Any:
        return tensor_ops._F.all(self, dim, keepdim)

    def logical_not(self) -> Any:
        return tensor_ops._F.logical_not(self)

    def logical_and(self, other: Any) -> Any:
        return tensor_ops._F.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return tensor_ops._F.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return tensor_ops._F.logical_xor(self, other)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Any:
        return tensor_ops._F.isclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        return tensor_ops._F.equal(self, other)
