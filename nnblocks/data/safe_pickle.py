"""A restricted reader of the pickle data in CIFAR-10's "python version" batches. No ``pickle``.

Python's ``pickle`` module runs any callable a file names, so the library never uses it to read.
CIFAR batches are pickles (protocol 2, written by Python 2's cPickle) of a dict of strings, a list
of ints, a list of strings and one NumPy uint8 array. This module interprets only the opcodes
such files contain, with the restricted interpreter of :mod:`nnblocks.io.restricted_pickle`, and
allows exactly these "globals", none of which is ever called — each is replaced by a constructor
written here:

- ``numpy.core.multiarray._reconstruct`` / ``numpy._core.multiarray._reconstruct`` with
  ``numpy.ndarray`` followed by ``BUILD`` with ``(version, shape, dtype, fortran, raw bytes)``:
  becomes ``np.frombuffer(raw, dtype).reshape(shape)`` (numeric dtypes only, never ``object``);
- ``numpy.dtype(descr, align, copy)`` followed by ``BUILD`` with the byte-order state;
- ``_codecs.encode(text, "latin1")``: how Python 3 writes ``bytes`` at protocol 2.

Anything else — other globals, other opcodes (``INST``, ``OBJ``, ``NEWOBJ``, persistent ids,
extension codes ...), malformed or truncated data — raises :class:`DataFormatError`. Python 2
``str`` objects (``SHORT_BINSTRING``, ``BINSTRING``) are returned as ``bytes``, as
``pickle.load(f, encoding="bytes")`` would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.data.errors import DataFormatError
from nnblocks.io.restricted_pickle import Global, Pending, Policy, loads

_ARRAY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")


class _PendingDtype(Pending):
    def __init__(self, descr: str) -> None:
        self.descr = descr


class _PendingArray(Pending):
    pass


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    raise DataFormatError(f"expected a string, got {type(value).__name__}")


class _NumpyPolicy(Policy):
    """Plain containers plus numeric NumPy arrays and dtypes, and latin-1 bytes."""

    error = DataFormatError
    allows = "NumPy arrays"

    def find_global(self, module: str, name: str) -> Global:
        ok = (
            (module in _ARRAY_MODULES and name == "_reconstruct")
            or (module == "numpy" and name in ("ndarray", "dtype"))
            or (module == "_codecs" and name == "encode")
        )
        if not ok:
            raise DataFormatError(f"global {module}.{name} is not allowed (only NumPy arrays)")
        return Global(module, name)

    def reduce(self, func: Global, args: tuple) -> Any:
        if func.name == "_reconstruct":
            if len(args) != 3 or not (isinstance(args[0], Global) and args[0].name == "ndarray"):
                raise DataFormatError("_reconstruct is allowed only for numpy.ndarray")
            return _PendingArray()
        if func.name == "dtype":
            return _PendingDtype(_as_text(args[0]))
        if func.name == "encode":
            if len(args) == 0:
                return b""
            if len(args) != 2 or _as_text(args[1]).lower() not in ("latin1", "latin-1"):
                raise DataFormatError("_codecs.encode is allowed only with 'latin1'")
            return _as_text(args[0]).encode("latin-1")
        raise DataFormatError(f"calling {func!r} is not allowed")

    def build(self, target: Any, state: Any) -> Any:
        if isinstance(target, _PendingDtype):
            return _build_dtype(target, state)
        if isinstance(target, _PendingArray):
            return _build_array(state)
        raise DataFormatError(f"BUILD of {type(target).__name__} is not allowed")


def _build_dtype(pending: _PendingDtype, state: Any) -> np.dtype:
    if not isinstance(state, tuple) or len(state) < 2:
        raise DataFormatError("malformed numpy.dtype state")
    dtype = np.dtype(pending.descr)
    if dtype.kind not in "biuf" or (len(state) > 3 and state[3] is not None):
        raise DataFormatError(f"dtype {pending.descr!r} is not allowed (numeric dtypes only)")
    order = _as_text(state[1])
    return dtype.newbyteorder(order) if order in "<>" else dtype


def _build_array(state: Any) -> np.ndarray:
    if not isinstance(state, tuple) or len(state) != 5:
        raise DataFormatError("malformed numpy.ndarray state")
    _version, shape, dtype, fortran, raw = state
    if not isinstance(dtype, np.dtype) or not isinstance(raw, (bytes, str)):
        raise DataFormatError("numpy.ndarray state must hold a numeric dtype and raw bytes")
    raw = raw.encode("latin-1") if isinstance(raw, str) else raw
    shape = tuple(int(s) for s in shape)
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise DataFormatError(
            f"array of shape {shape} and dtype {dtype} needs {expected} bytes, found {len(raw)}"
        )
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")


def safe_loads(data: bytes) -> Any:
    """Decode pickle ``data`` made only of plain containers, numbers, strings and numeric arrays.

    >>> safe_loads(b"\\x80\\x02}q\\x00U\\x01aK\\x07s.")
    {b'a': 7}
    """
    return loads(data, _NumpyPolicy())
