"""PyTorch's dtype names and the CPU device, so device-selection and dtype code runs unchanged.

dtypes are NumPy dtypes under PyTorch's names (``nb.float32 == np.dtype("float32")``), so they
work wherever NumPy or nnblocks takes a dtype, and ``tensor.dtype == nb.float32`` holds.

nnblocks runs on the CPU. ``nb.device("cpu")`` (also ``"cpu:0"``) is accepted wherever PyTorch
takes a device; a device of another type can be *named* (so ``torch.device("cuda" if
torch.cuda.is_available() else "cpu")`` runs), but using it — ``.to("cuda")``, ``device="mps"``
— raises ``RuntimeError: nnblocks runs on the CPU; got 'cuda'``.

>>> import nnblocks as nb
>>> nb.tensor([1.0]).dtype == nb.float32, nb.float64 is nb.double
(True, True)
>>> nb.device("cuda" if nb.cuda.is_available() else "cpu")
device(type='cpu')
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

#: PyTorch's other names for the same dtypes (``torch.float``, ``torch.long`` ...)
ALIASES: dict[str, np.dtype] = {
    "float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
    "short": int16, "bool": bool_, "cfloat": complex64, "cdouble": complex128,
}
#: every dtype name nnblocks exports at top level
DTYPES: dict[str, np.dtype] = {
    "float32": float32, "float64": float64, "float16": float16, "int64": int64,
    "int32": int32, "int16": int16, "int8": int8, "uint8": uint8, "complex64": complex64,
    "complex128": complex128, **ALIASES,
}


def resolve_dtype(dtype: Any, who: str) -> np.dtype | None:
    """``dtype`` as a NumPy dtype (None stays None), or a TypeError naming ``who``."""
    if dtype is None:
        return None
    if dtype is builtins.float:
        return float32                       # PyTorch: a Python float means the default dtype
    if dtype is builtins.int:
        return int64
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}: dtype must be a dtype such as nb.float32, got {dtype!r}") from None
    if resolved.kind not in "biufc":
        raise TypeError(f"{who}: dtype {resolved} is not numeric")
    return resolved


class device:  # noqa: N801 - the name users know from PyTorch
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``.

    Any type can be named; only ``"cpu"`` can be used (see :func:`check_device`).
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if number:
            if index is not None:
                raise RuntimeError(f"device: index given twice in {type!r} and index={index}")
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = builtins.int(number)
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> builtins.int:
        return hash((self.type, self.index))


CPU = device("cpu")


def is_device(value: Any) -> builtins.bool:
    """Whether ``value`` names a device (a :class:`device`, or a string naming a known type)."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.partition(":")[0] in (
        "cpu", "cuda", "mps", "xpu", "meta", "xla", "hpu", "mtia", "privateuseone")


def check_device(value: Any, who: str) -> None:
    """Accept ``None`` and the CPU; raise RuntimeError for any other device."""
    if value is None:
        return
    if not isinstance(value, (device, str)):
        raise TypeError(f"{who}: device must be a string or nb.device, got {value!r}")
    if device(value).type != "cpu":
        raise RuntimeError(f"{who}: nnblocks runs on the CPU; got {str(value)!r} (use 'cpu', "
                           f"as 'cuda' if torch.cuda.is_available() else 'cpu' picks here)")


class memory_format:  # noqa: N801 - the name users know from PyTorch
    """PyTorch's memory-format tags (``nb.preserve_format``, ``nb.contiguous_format``,
    ``nb.channels_last``), accepted wherever PyTorch takes ``memory_format=``. nnblocks' arrays
    are always C-ordered NCHW, so a tag changes nothing but is not an error: the values, shapes
    and gradients are those PyTorch computes in any layout."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"nnblocks.{self._name}"


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
