"""Tests and logic on values, as PyTorch's ``isnan``, ``isinf``, ``isfinite``, ``logical_*``,
``any``, ``all``, ``isclose``, ``equal``, ``nonzero`` and ``unique``.

Their results are booleans or indices, so no gradient flows through them: each is NumPy on the
input's array, returned as a tensor that requires no grad (as PyTorch's).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.reduce import _reduced_dims

Array = np.ndarray


def _array(x: Any) -> Array:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _broadcast(name: str, a: Array, b: Array) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                           "together") from None


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a :class:`~nnblocks.core.Tensor`, as ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


def numel(input: Any) -> int:
    """The number of elements, as ``torch.numel``."""
    return int(_array(input).size)


def isnan(input: Any) -> Tensor:
    """Where the elements are NaN (bool), as ``torch.isnan``."""
    return Tensor(np.isnan(_array(input)))


def isinf(input: Any) -> Tensor:
    """Where the elements are +inf or -inf (bool), as ``torch.isinf``."""
    return Tensor(np.isinf(_array(input)))


def isfinite(input: Any) -> Tensor:
    """Where the elements are neither NaN nor infinite (bool), as ``torch.isfinite``."""
    return Tensor(np.isfinite(_array(input)))


def logical_not(input: Any) -> Tensor:
    """Element-wise NOT of the truth values (nonzero is true), bool, as ``torch.logical_not``."""
    return Tensor(np.logical_not(_array(input)))


def logical_and(input: Any, other: Any) -> Tensor:
    """Element-wise AND of the truth values (broadcast), bool, as ``torch.logical_and``."""
    a, b = _array(input), _array(other)
    _broadcast("logical_and", a, b)
    return Tensor(np.logical_and(a, b))


def logical_or(input: Any, other: Any) -> Tensor:
    """Element-wise OR of the truth values (broadcast), bool, as ``torch.logical_or``."""
    a, b = _array(input), _array(other)
    _broadcast("logical_or", a, b)
    return Tensor(np.logical_or(a, b))


def logical_xor(input: Any, other: Any) -> Tensor:
    """Element-wise XOR of the truth values (broadcast), bool, as ``torch.logical_xor``."""
    a, b = _array(input), _array(other)
    _broadcast("logical_xor", a, b)
    return Tensor(np.logical_xor(a, b))


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``, all when None) is true, bool, as ``torch.any``."""
    data = _array(input)
    dims = _reduced_dims("any", dim, data.ndim)
    return Tensor(np.asarray(np.any(data, axis=dims, keepdims=keepdim)))


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether all elements (over ``dim``, all when None) are true, bool, as ``torch.all``."""
    data = _array(input)
    dims = _reduced_dims("all", dim, data.ndim)
    return Tensor(np.asarray(np.all(data, axis=dims, keepdims=keepdim)))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|`` (bool), as ``torch.isclose``."""
    a, b = _array(input), _array(other)
    _broadcast("isclose", a, b)
    if isinstance(input, Tensor) and isinstance(other, Tensor) and a.dtype != b.dtype:
        raise RuntimeError(f"isclose: input has dtype {a.dtype} but other has {b.dtype}; "
                           "they must have the same dtype")
    return Tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and the same elements, as ``torch.equal``."""
    a, b = _array(input), _array(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dim, as ``torch.nonzero``."""
    data = _array(input)
    if data.ndim == 0:
        count = int(data != 0)
        if as_tuple:
            return (Tensor(np.zeros(count, dtype=np.int64)),)
        return Tensor(np.zeros((count, 0), dtype=np.int64))
    where = tuple(np.asarray(i, dtype=np.int64) for i in np.nonzero(data))
    if as_tuple:
        return tuple(Tensor(i) for i in where)
    return Tensor(np.stack(where, axis=1))


def unique(input: Any, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (sorted, flattened), as ``torch.unique``; with ``return_inverse``
    also where each input element is in them (input's shape), with ``return_counts`` how often
    each occurs (int64)."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported by nnblocks; use dim=None "
                                  "(the distinct elements of the flattened tensor)")
    data = _array(input)
    values, inverse, counts = np.unique(data.reshape(-1), return_inverse=True,
                                        return_counts=True)
    out = [Tensor(values.astype(data.dtype, copy=False))]
    if return_inverse:
        out.append(Tensor(inverse.reshape(data.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
