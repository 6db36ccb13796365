"""Tensor creation functions with PyTorch's names, signatures and dtype rules.

``zeros``, ``ones``, ``empty``, ``full``, ``eye``, ``arange``, ``linspace``, the random ``rand``,
``randn``, ``randint``, ``randperm``, ``normal``, the ``*_like`` forms and ``from_numpy``.
Each takes ``dtype=``, ``device=`` (the CPU only) and ``requires_grad=`` where PyTorch's does;
sizes may be given as separate ints or one sequence (``zeros(2, 3)``, ``zeros((2, 3))``).

dtype rules (PyTorch's): floating results default to float32; ``full`` takes its dtype from the
fill value (bool, int64 or float32); ``arange`` gives int64 when start, end and step are all
integers, else float32.

Random functions draw from ``rng=`` (a ``numpy.random.Generator``) or, as PyTorch's
``generator=``, from the generator passed there; by default from nnblocks' own default generator
(:func:`nnblocks.manual_seed`), never from NumPy's global state. The numbers differ from
PyTorch's for the same seed (different generators).

>>> import nnblocks as nb
>>> nb.zeros(2, 3).shape, nb.full((2,), 7).dtype, nb.arange(0, 1, 0.25).tolist()
((2, 3), dtype('int64'), [0.0, 0.25, 0.5, 0.75])
"""

from __future__ import annotations

import builtins
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core.dtypes import check_device, int64, resolve_dtype
from nnblocks.core.tensor import DEFAULT_DTYPE, Tensor, _check_grad_dtype


def _size(size: tuple, who: str) -> tuple[int, ...]:
    """PyTorch's size argument: ``f(2, 3)`` or ``f((2, 3))`` / ``f([2, 3])``."""
    if len(size) == 1 and isinstance(size[0], (Sequence, np.ndarray)) and not isinstance(
            size[0], str):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor) and s.array.size == 1:
            s = s.array.item()
        if not isinstance(s, (builtins.int, np.integer)) or isinstance(s, builtins.bool):
            raise TypeError(f"{who}: size must be a sequence of ints, got {size!r}")
        if s < 0:
            raise RuntimeError(f"{who}: trying to create tensor with negative dimension {s}")
        out.append(builtins.int(s))
    return tuple(out)


def _finish(array: np.ndarray, requires_grad: bool, device: Any, who: str) -> Tensor:
    check_device(device, who)
    if requires_grad:
        _check_grad_dtype(array.dtype, f"{who}(requires_grad=True)")
    return Tensor(array, requires_grad=requires_grad)


def _rng(generator: Any, rng: Any, who: str) -> np.random.Generator:
    if generator is not None and rng is not None:
        raise TypeError(f"{who}: give generator= or rng=, not both")
    chosen = rng if rng is not None else generator
    if chosen is not None and not isinstance(chosen, np.random.Generator):
        raise TypeError(f"{who}: generator must be a numpy.random.Generator (nnblocks' "
                        f"generators are NumPy's), got {type(chosen).__name__}")
    return get_rng(chosen)


def _float_dtype(dtype: Any, who: str) -> np.dtype:
    """``dtype`` resolved, or the default floating dtype (float32) when it is None."""
    return resolve_dtype(dtype, who) or DEFAULT_DTYPE


def _no_out(out: Any, who: str) -> None:
    if out is not None:
        raise TypeError(f"{who}: out= is not supported; assign the result instead")


# --------------------------------------------------------------------------- constant fills
def zeros(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (float32 unless ``dtype``)."""
    _no_out(out, "zeros")
    array = np.zeros(_size(size, "zeros"), dtype=_float_dtype(dtype, "zeros"))
    return _finish(array, requires_grad, device, "zeros")


def ones(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (float32 unless ``dtype``)."""
    _no_out(out, "ones")
    array = np.ones(_size(size, "ones"), dtype=_float_dtype(dtype, "ones"))
    return _finish(array, requires_grad, device, "ones")


def empty(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of the given size (its values are whatever memory held)."""
    _no_out(out, "empty")
    array = np.empty(_size(size, "empty"), dtype=_float_dtype(dtype, "empty"))
    return _finish(array, requires_grad, device, "empty")


def full(size: Any, fill_value: Any, *, out: Any = None, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64, float32)
    unless ``dtype`` is given."""
    _no_out(out, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    resolved = resolve_dtype(dtype, "full")
    if resolved is None:
        resolved = _scalar_dtype(fill_value, "full")
    array = np.full(_size((size,), "full"), fill_value, dtype=resolved)
    return _finish(array, requires_grad, device, "full")


def _scalar_dtype(value: Any, who: str) -> np.dtype:
    if isinstance(value, (builtins.bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return int64
    if isinstance(value, numbers.Real):
        return DEFAULT_DTYPE
    if isinstance(value, numbers.Complex):
        return np.dtype(np.complex64)
    raise TypeError(f"{who}: expected a number, got {type(value).__name__}")


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: Any = None, layout: Any = None,
        device: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity (``m = n`` by default)."""
    _no_out(out, "eye")
    rows, cols = _size((n, n if m is None else m), "eye")
    array = np.eye(rows, cols, dtype=_float_dtype(dtype, "eye"))
    return _finish(array, requires_grad, device, "eye")


def arange(start: Any, end: Any = None, step: Any = 1, *, out: Any = None, dtype: Any = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to ``end`` (excluded) by ``step``: int64 when all
    three are integers, else float32, unless ``dtype`` is given."""
    _no_out(out, "arange")
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for v in values:
        if not isinstance(v, numbers.Real):
            raise TypeError(f"arange: start, end and step must be numbers, got {v!r}")
    start, end, step = values
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:                   # PyTorch's message
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    resolved = resolve_dtype(dtype, "arange")
    integral = all(isinstance(v, numbers.Integral) for v in values)
    if resolved is None:
        resolved = int64 if integral else DEFAULT_DTYPE
    if integral:
        array = np.arange(start, end, step, dtype=np.int64).astype(resolved)
    else:                                          # start + i * step in float64, then cast
        count = builtins.max(0, builtins.int(np.ceil((end - start) / step)))
        array = (start + step * np.arange(count, dtype=np.float64)).astype(resolved)
    return _finish(array, requires_grad, device, "arange")


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float32)."""
    _no_out(out, "linspace")
    (steps,) = _size((steps,), "linspace")
    array = np.linspace(float(start), float(end), steps).astype(_float_dtype(dtype, "linspace"))
    return _finish(array, requires_grad, device, "linspace")


# --------------------------------------------------------------------------- random
def rand(*size: Any, generator: Any = None, rng: Any = None, out: Any = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    _no_out(out, "rand")
    draw = _rng(generator, rng, "rand").random(_size(size, "rand"))
    return _finish(draw.astype(_float_dtype(dtype, "rand")), requires_grad, device, "rand")


def randn(*size: Any, generator: Any = None, rng: Any = None, out: Any = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    _no_out(out, "randn")
    draw = _rng(generator, rng, "randn").standard_normal(_size(size, "randn"))
    return _finish(draw.astype(_float_dtype(dtype, "randn")), requires_grad, device, "randn")


def randint(low: int, high: Any = None, size: Any = None, *, generator: Any = None,
            rng: Any = None, out: Any = None, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on ``[low, high)`` (``randint(high, size)`` takes ``low = 0``); int64."""
    _no_out(out, "randint")
    if size is None:                               # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    draw = _rng(generator, rng, "randint").integers(low, high, _size((size,), "randint"))
    resolved = resolve_dtype(dtype, "randint") or int64
    return _finish(draw.astype(resolved), requires_grad, device, "randint")


def randperm(n: int, *, generator: Any = None, rng: Any = None, out: Any = None,
             dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    _no_out(out, "randperm")
    (n,) = _size((n,), "randperm")
    draw = _rng(generator, rng, "randperm").permutation(n)
    resolved = resolve_dtype(dtype, "randperm") or int64
    return _finish(draw.astype(resolved), requires_grad, device, "randperm")


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           rng: Any = None, out: Any = None, dtype: Any = None, layout: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` for numbers, or element-wise for tensor
    ``mean`` and/or ``std`` (broadcast, as PyTorch's overloads)."""
    _no_out(out, "normal")
    m = mean.array if isinstance(mean, Tensor) else np.asarray(mean)
    s = std.array if isinstance(std, Tensor) else np.asarray(std)
    if np.any(s < 0):
        raise RuntimeError("normal: expected all std >= 0")
    shape = _size((size,), "normal") if size is not None else np.broadcast_shapes(m.shape, s.shape)
    draw = m + s * _rng(generator, rng, "normal").standard_normal(shape)
    tensor_dtype = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    resolved = resolve_dtype(dtype, "normal") or tensor_dtype or DEFAULT_DTYPE
    return _finish(np.asarray(draw).astype(resolved), requires_grad, device, "normal")


# --------------------------------------------------------------------------- *_like
def _like(input: Any, dtype: Any, who: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: expected a Tensor, got {type(input).__name__}")
    return input.shape, resolve_dtype(dtype, who) or input.dtype


def zeros_like(input: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "zeros_like")
    return _finish(np.zeros(shape, resolved), requires_grad, device, "zeros_like")


def ones_like(input: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "ones_like")
    return _finish(np.ones(shape, resolved), requires_grad, device, "ones_like")


def empty_like(input: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "empty_like")
    return _finish(np.empty(shape, resolved), requires_grad, device, "empty_like")


def full_like(input: Any, fill_value: Any, *, dtype: Any = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "full_like")
    return _finish(np.full(shape, fill_value, resolved), requires_grad, device, "full_like")


def rand_like(input: Any, *, generator: Any = None, rng: Any = None, dtype: Any = None,
              layout: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "rand_like")
    draw = _rng(generator, rng, "rand_like").random(shape).astype(resolved)
    return _finish(draw, requires_grad, device, "rand_like")


def randn_like(input: Any, *, generator: Any = None, rng: Any = None, dtype: Any = None,
               layout: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    shape, resolved = _like(input, dtype, "randn_like")
    draw = _rng(generator, rng, "randn_like").standard_normal(shape).astype(resolved)
    return _finish(draw, requires_grad, device, "randn_like")


# --------------------------------------------------------------------------- NumPy bridge
def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (a change to one shows in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert np.ndarray of type {array.dtype}; only "
                        "numeric and bool arrays are supported")
    return Tensor(array)


__all__ = [
    "arange", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "linspace",
    "normal", "ones", "ones_like", "rand", "rand_like", "randint", "randn", "randn_like",
    "randperm", "zeros", "zeros_like",
]
