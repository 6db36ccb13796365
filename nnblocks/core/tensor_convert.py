"""dtype conversions and new tensors of :class:`~nnblocks.core.Tensor`, as PyTorch's (a mixin).

``to(dtype)``, ``type(dtype)``, ``type_as``, ``float()``, ``double()``, ``long()``, ``int()``,
``bool()`` apply a cast block (:func:`nnblocks.functional.cast`, reached through ``_F`` of
:mod:`nnblocks.core.tensor_ops`): floating to floating keeps the gradient path, to an integer or
bool dtype it is cut, as in PyTorch. ``half()`` is refused (nnblocks computes in float32 and
float64). ``new_zeros`` and friends make leaf tensors in this tensor's dtype.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from nnblocks.core import tensor_ops
from nnblocks.core.dtypes import check_device, is_device, resolve_dtype

#: PyTorch's legacy type strings (``tensor.type()``), both ways
_TYPE_NAMES = {
    np.dtype(np.float32): "torch.FloatTensor", np.dtype(np.float64): "torch.DoubleTensor",
    np.dtype(np.float16): "torch.HalfTensor", np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.int32): "torch.IntTensor", np.dtype(np.int16): "torch.ShortTensor",
    np.dtype(np.int8): "torch.CharTensor", np.dtype(np.uint8): "torch.ByteTensor",
    np.dtype(np.bool_): "torch.BoolTensor",
}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def _size_arg(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)




class TensorConversions:
    """The conversion half of the Tensor interface."""

    __slots__ = ()

    # ------------------------------------------------------------------ dtype conversion
    def to(self, *args: Any, **kwargs: Any) -> Any:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, as PyTorch's.

        A floating-to-floating conversion keeps the gradient path; to an integer or bool dtype
        it is cut, as in PyTorch. The device must be the CPU. Returns the tensor itself when
        nothing changes (and ``copy=False``).
        """
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"Tensor.to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, TensorConversions):
                dtype = arg.array.dtype
            elif is_device(arg):
                device = arg
            elif isinstance(arg, builtins.bool):
                continue                                  # to(dtype, non_blocking, copy)
            elif arg is not None:
                dtype = arg
        check_device(device, "Tensor.to")
        if dtype is None:
            return tensor_ops._F.clone(self) if copy else self
        dtype = resolve_dtype(dtype, "Tensor.to")
        if dtype == np.float16:
            raise TypeError("Tensor.to: float16 is not supported (nnblocks computes in float32 "
                            "and float64); use .float()")
        if dtype == self.array.dtype and not copy:
            return self
        return tensor_ops._F.cast(self, dtype)

    def type(self, dtype: Any = None) -> Any:
        """Without an argument, PyTorch's type string (``'torch.FloatTensor'``); with a dtype
        (or such a string), ``self.to(dtype)``."""
        if dtype is None:
            return _TYPE_NAMES.get(self.array.dtype, f"torch.{self.array.dtype}Tensor")
        if isinstance(dtype, str):
            if dtype not in _TYPE_DTYPES:
                raise TypeError(f"Tensor.type: unknown type {dtype!r}")
            dtype = _TYPE_DTYPES[dtype]
        return self.to(dtype)

    def type_as(self, other: Any) -> Any:
        return self.to(other.array.dtype)

    def float(self) -> Any:
        """float32, keeping the gradient path (``torch.Tensor.float``)."""
        return self.to(np.float32)

    def double(self) -> Any:
        """float64, keeping the gradient path."""
        return self.to(np.float64)

    def half(self) -> Any:
        raise TypeError("Tensor.half: float16 is not supported (nnblocks computes in float32 "
                        "and float64); use .float()")

    def long(self) -> Any:
        return self.to(np.int64)

    def int(self) -> Any:
        return self.to(np.int32)

    def bool(self) -> Any:
        return self.to(np.bool_)

    # ------------------------------------------------------------------ new tensors
    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Any:
        return self._new(np.zeros, _size_arg(size), dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Any:
        return self._new(np.ones, _size_arg(size), dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Any:
        return self._new(np.zeros, _size_arg(size), dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Any:
        def make(shape: tuple, dtype: Any) -> np.ndarray:
            return np.full(shape, fill_value, dtype=dtype)

        return self._new(make, tuple(size), dtype, device, requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None,
                   requires_grad: builtins.bool = False) -> Any:
        """A new leaf tensor copying ``data``, in this tensor's dtype unless ``dtype`` is given."""
        check_device(device, "Tensor.new_tensor")
        dtype = resolve_dtype(dtype, "Tensor.new_tensor") or self.array.dtype
        array = np.array(getattr(data, "array", data), dtype=dtype, copy=True)
        return type(self)._leaf(array, requires_grad)

    def _new(self, make: Any, shape: tuple, dtype: Any, device: Any,
             requires_grad: builtins.bool) -> Any:
        check_device(device, "Tensor.new_*")
        dtype = resolve_dtype(dtype, "Tensor.new_*") or self.array.dtype
        return type(self)._leaf(make(shape, dtype), requires_grad)
