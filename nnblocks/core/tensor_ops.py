"""The Tensor's operators and everyday methods, as a mixin of :class:`~nnblocks.core.Tensor`.

``core/tensor.py`` (storage, autograd entry points, Python conversions) plus this mixin,
:mod:`nnblocks.core.tensor_convert` (dtype conversions, ``new_*``) and
:mod:`nnblocks.core.tensor_inplace` (in-place operations) are the Tensor's whole interface: every
``+``, ``.sum()``, ``.view()`` is written here, where editors and type checkers see it.

Why a late-bound reference: each operation is a block of the functional layer, and the core must
not import that layer (imports flow one way, core <- functional <- nn ...; a function-level import
would hide a cycle). So the methods call the functional operations through one module-level name,
``_F``, which :mod:`nnblocks.functional` binds to itself when it is imported
(:func:`bind_functional`). ``import nnblocks`` (or any import of ``nnblocks.functional``) does it
before any user code runs; the core alone (without the functional layer) has data, autograd and
conversions but no arithmetic, and says so.

Speed: the arithmetic operators and ``sum``/``mean`` run in every training step, so
:func:`bind_functional` also takes the ``apply`` of the blocks behind them from ``_F`` once
(``_apply``, derived from ``_F``, not a second binding): ``a * b`` then costs one Python call
before ``MulBlock.apply``, as when the wrappers themselves were the methods (going through the
wrapper added ~4% to a tiny-op training step, measured with ``benchmarks/tiny_ops.py``).

Methods follow PyTorch's signatures and meaning (``size()`` is a method, ``max(dim)`` returns
``(values, indices)``, ``var`` is unbiased by default, ``float()`` keeps the gradient).
"""

from __future__ import annotations

import builtins
from typing import Any


class _Unbound:
    """Stands for the functional layer until it is imported: any use says what to import."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"Tensor.{name}: the functional layer is not loaded; "
                           "import nnblocks (or nnblocks.functional) first")


#: The functional layer (the ``nnblocks.functional`` package), bound by :func:`bind_functional`
#: when that package is imported. The only reference from the core up to the functional layer.
_F: Any = _Unbound()
#: ``Block.apply`` of the blocks behind the hottest operators, taken from ``_F`` by
#: :func:`bind_functional` (see "Speed" in the module docstring)
_apply: Any = _Unbound()


class _HotBlocks:
    """The ``apply`` of the blocks behind ``+ - * / @ **``, unary ``-``, ``sum`` and ``mean``."""

    __slots__ = ("add", "sub", "mul", "div", "matmul", "pow", "neg", "sum", "mean")

    def __init__(self, functional: Any) -> None:
        math, reduce = functional.math, functional.reduce
        self.add = math.AddBlock.apply
        self.sub = math.SubBlock.apply
        self.mul = math.MulBlock.apply
        self.div = math.DivBlock.apply
        self.matmul = math.MatMulBlock.apply
        self.pow = math.PowBlock.apply
        self.neg = math.NegBlock.apply
        self.sum = reduce.SumBlock.apply
        self.mean = reduce.MeanBlock.apply


def bind_functional(namespace: Any) -> None:
    """Make Tensor's operators use ``namespace`` (``nnblocks.functional``, which calls this once
    at import)."""
    global _F, _apply
    _F = namespace
    _apply = _HotBlocks(namespace)


class TensorOps:
    """Operators and methods of :class:`~nnblocks.core.Tensor`, each applying blocks of the
    functional layer (through ``_F``, see the module docstring)."""

    __slots__ = ()

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Any:
        return _apply.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _apply.add(other, self)

    def __sub__(self, other: Any) -> Any:
        return _apply.sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _apply.sub(other, self)

    def __mul__(self, other: Any) -> Any:
        return _apply.mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _apply.mul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return _apply.div(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _apply.div(other, self)

    def __pow__(self, other: Any) -> Any:
        return _apply.pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _apply.pow(other, self)

    def __matmul__(self, other: Any) -> Any:
        return _apply.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _apply.matmul(other, self)

    def __neg__(self) -> Any:
        return _apply.neg(self)

    def __abs__(self) -> Any:
        return _F.abs(self)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _F.eq(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return _F.ne(self, other)

    def __lt__(self, other: Any) -> Any:
        return _F.lt(self, other)

    def __le__(self, other: Any) -> Any:
        return _F.le(self, other)

    def __gt__(self, other: Any) -> Any:
        return _F.gt(self, other)

    def __ge__(self, other: Any) -> Any:
        return _F.ge(self, other)

    def __getitem__(self, index: Any) -> Any:
        return _F.getitem(self, index)

    # ------------------------------------------------------------------ arithmetic
    def add(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self + alpha * other``, as ``torch.add``."""
        return _F.add(self, other if alpha == 1 else _F.mul(other, alpha))

    def sub(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self - alpha * other``, as ``torch.sub``."""
        return _F.sub(self, other if alpha == 1 else _F.mul(other, alpha))

    def mul(self, other: Any) -> Any:
        return _F.mul(self, other)

    def div(self, other: Any) -> Any:
        return _F.div(self, other)

    def neg(self) -> Any:
        return _F.neg(self)

    def pow(self, exponent: Any) -> Any:
        return _F.pow(self, exponent)

    def matmul(self, other: Any) -> Any:
        return _F.matmul(self, other)

    def mm(self, other: Any) -> Any:
        """Product of two matrices (``torch.mm``: no batching, no broadcasting)."""
        return _F.mm(self, other)

    def maximum(self, other: Any) -> Any:
        return _F.maximum(self, other)

    def minimum(self, other: Any) -> Any:
        return _F.minimum(self, other)

    def clip(self, min: Any = None, max: Any = None) -> Any:
        return _F.clip(self, min, max)

    def clamp(self, min: Any = None, max: Any = None) -> Any:
        return _F.clip(self, min, max)

    # ------------------------------------------------------------------ element-wise math
    def exp(self) -> Any:
        return _F.exp(self)

    def log(self) -> Any:
        return _F.log(self)

    def sqrt(self) -> Any:
        return _F.sqrt(self)

    def abs(self) -> Any:
        return _F.abs(self)

    def sin(self) -> Any:
        return _F.sin(self)

    def cos(self) -> Any:
        return _F.cos(self)

    def log1p(self) -> Any:
        return _F.log1p(self)

    def expm1(self) -> Any:
        return _F.expm1(self)

    def square(self) -> Any:
        return _F.square(self)

    def rsqrt(self) -> Any:
        return _F.rsqrt(self)

    def reciprocal(self) -> Any:
        return _F.reciprocal(self)

    def sign(self) -> Any:
        return _F.sign(self)

    def floor(self) -> Any:
        return _F.floor(self)

    def ceil(self) -> Any:
        return _F.ceil(self)

    def round(self) -> Any:
        return _F.round(self)

    def sigmoid(self) -> Any:
        return _F.sigmoid(self)

    def tanh(self) -> Any:
        return _F.tanh(self)

    def relu(self) -> Any:
        return _F.relu(self)

    def softmax(self, dim: int = -1) -> Any:
        return _F.softmax(self, dim)

    def log_softmax(self, dim: int = -1) -> Any:
        return _F.log_softmax(self, dim)

    # ------------------------------------------------------------------ comparisons
    def eq(self, other: Any) -> Any:
        return _F.eq(self, other)

    def ne(self, other: Any) -> Any:
        return _F.ne(self, other)

    def lt(self, other: Any) -> Any:
        return _F.lt(self, other)

    def le(self, other: Any) -> Any:
        return _F.le(self, other)

    def gt(self, other: Any) -> Any:
        return _F.gt(self, other)

    def ge(self, other: Any) -> Any:
        return _F.ge(self, other)

    def tril(self, diagonal: int = 0) -> Any:
        return _F.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Any:
        return _F.triu(self, diagonal)

    def masked_fill(self, mask: Any, value: Any) -> Any:
        """``value`` where ``mask`` is true, else this tensor's element (differentiable)."""
        return _F.masked_fill(self, mask, value)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            axis: Any = None) -> Any:
        if dtype is not None:
            return _F.sum(self.to(dtype), dim, keepdim, axis=axis)
        return _apply.sum(self, dim=axis if dim is None else dim, keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Any = None) -> Any:
        if dtype is not None:
            return _F.mean(self.to(dtype), dim, keepdim, axis=axis)
        return _apply.mean(self, dim=axis if dim is None else dim, keepdim=keepdim)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        """The largest value, or ``(values, indices)`` along an int ``dim`` (``torch.max``)."""
        return _F.max(self, dim, keepdim, axis=axis)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        """The smallest value, or ``(values, indices)`` along an int ``dim`` (``torch.min``)."""
        return _F.min(self, dim, keepdim, axis=axis)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _F.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _F.amin(self, dim, keepdim)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
            correction: Any = None, axis: Any = None) -> Any:
        """Variance over ``dim``: unbiased (``correction=1``) by default, as ``torch.var``;
        ``unbiased=False`` or ``correction=0`` for the population variance."""
        dim, correction = _correction(dim, unbiased, correction)
        return _F.var(self, dim, correction=correction, keepdim=keepdim, axis=axis)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
            correction: Any = None, axis: Any = None) -> Any:
        """Standard deviation over ``dim``, with ``var``'s arguments."""
        dim, correction = _correction(dim, unbiased, correction)
        return _F.std(self, dim, correction=correction, keepdim=keepdim, axis=axis)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
        """The ``p``-norm (2 / ``'fro'``, 1, or any positive p) over ``dim``."""
        return _F.vector_norms.norm(self, p, dim, keepdim)  # F.norm: the norm layers

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _F.argmax(self, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _F.argmin(self, dim, keepdim)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return _F.topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _F.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _F.argsort(self, dim, descending, stable)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Any:
        return _F.reshape(self, *shape)

    def view(self, *shape: Any) -> Any:
        """Another shape for the same elements (a reshape: it copies when NumPy must)."""
        return _F.reshape(self, *shape)

    def view_as(self, other: Any) -> Any:
        return _F.reshape(self, tuple(other.shape))

    def reshape_as(self, other: Any) -> Any:
        return _F.reshape(self, tuple(other.shape))

    def permute(self, *dims: Any) -> Any:
        return _F.permute(self, *dims)

    def transpose(self, dim0: int, dim1: int) -> Any:
        return _F.transpose(self, dim0, dim1)

    def t(self) -> Any:
        """The transpose of a matrix (a tensor of at most 2 dims), as ``torch.t``."""
        if self.array.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dims, got {self.array.ndim} "
                               "(use transpose(dim0, dim1) or permute)")
        return _F.transpose(self, 0, -1) if self.array.ndim == 2 else self

    @property
    def T(self) -> Any:  # noqa: N802 - PyTorch's name
        """All axes reversed."""
        return _F.permute(self, *reversed(range(self.array.ndim)))

    @property
    def mT(self) -> Any:  # noqa: N802 - PyTorch's name
        """The last two axes swapped (a batch of matrices transposed)."""
        return _F.transpose(self, -2, -1)

    def expand(self, *shape: Any) -> Any:
        return _F.expand(self, *shape)

    def expand_as(self, other: Any) -> Any:
        return _F.expand(self, tuple(other.shape))

    def squeeze(self, dim: Any = None) -> Any:
        return _F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Any:
        return _F.unsqueeze(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        return _F.flatten(self, start_dim, end_dim)

    def split(self, split_size: Any, dim: int = 0) -> Any:
        return _F.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> Any:
        return _F.chunk(self, chunks, dim)

    def narrow(self, dim: int, start: int, length: int) -> Any:
        return _F.narrow(self, dim, start, length)

    def repeat(self, *sizes: Any) -> Any:
        return _F.repeat(self, *sizes)

    def contiguous(self, memory_format: Any = None) -> Any:
        """The tensor itself when its array is C-contiguous, else a contiguous copy (with its
        gradient), as ``torch.Tensor.contiguous`` (``memory_format``: see
        :class:`~nnblocks.core.dtypes.memory_format`)."""
        return self if self.array.flags.c_contiguous else _F.clone(self)

    def clone(self, *, memory_format: Any = None) -> Any:
        """A copy that keeps the gradient path (``torch.clone``)."""
        return _F.clone(self)


def _correction(dim: Any, unbiased: Any, correction: Any) -> tuple[Any, int]:
    """PyTorch's ``var(dim, unbiased, keepdim)`` / ``var(unbiased)`` / ``correction=``."""
    if isinstance(dim, builtins.bool):                   # x.var(False): unbiased given first
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError("var/std: give unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction
