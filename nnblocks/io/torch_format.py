"""Read the files ``torch.save`` writes, without PyTorch and without unpickling.

Since PyTorch 1.6, ``torch.save(obj, "model.pt")`` writes a zip archive::

    <name>/data.pkl        the object, pickled (protocol 2); each tensor refers to a storage
    <name>/data/<key>      one raw little-endian buffer per storage
    <name>/byteorder       "little" or "big"
    <name>/version ...     bookkeeping that is not needed here

A tensor in ``data.pkl`` is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)``, where ``storage`` is a persistent id ``("storage", torch.FloatStorage,
key, location, numel)``. The pickle is decoded by :mod:`nnblocks.io.restricted_pickle` with a
policy that allows exactly what state dicts and optimizer state dicts contain, none of it ever
called — each is rebuilt by code written here:

- ``collections.OrderedDict`` (becomes a ``dict``; its ``_metadata`` attribute is dropped),
- ``torch._utils._rebuild_tensor_v2`` and ``_rebuild_parameter`` (become :class:`Tensor`\\ s,
  a copy of the storage's elements at the given offset and strides, bounds-checked),
- the typed storages ``torch.FloatStorage``, ``DoubleStorage``, ``HalfStorage``,
  ``BFloat16Storage`` (read as float32: NumPy has no bfloat16), ``LongStorage``, ``IntStorage``,
  ``ShortStorage``, ``CharStorage``, ``ByteStorage``, ``BoolStorage`` and the complex ones,
- ``torch.Size`` (a tuple) and dtypes such as ``torch.float32`` (NumPy dtypes).

Anything else — ``posix.system``, any class, a ``__reduce__`` payload, the legacy pre-1.6 format,
a TorchScript archive — raises :class:`~nnblocks.io.CheckpointError` naming the file and what was
refused, and nothing named by the file is run.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.io.checkpoint import CheckpointError
from nnblocks.io.restricted_pickle import Global, Policy, loads

#: torch's typed storage classes -> the NumPy dtype of their elements
STORAGE_DTYPES: dict[str, Any] = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
}
#: torch dtype names (``torch.float32`` pickles as the global ``torch float32``)
TORCH_DTYPES: dict[str, Any] = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "bfloat16": np.float32, "int64": np.int64,
    "long": np.int64, "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16,
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_, "complex64": np.complex64,
    "complex128": np.complex128,
}
_REBUILDERS = ("_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state")


class _Storage:
    """A storage's elements as a flat native-endian array (read once, shared by its tensors)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _TorchPolicy(Policy):
    error = CheckpointError
    allows = "tensors, storages and plain containers, as in state dicts"

    def __init__(self, archive: zipfile.ZipFile, prefix: str, byteorder: str) -> None:
        self.archive = archive
        self.prefix = prefix
        self.byteorder = "<" if byteorder == "little" else ">"
        self.storages: dict[str, _Storage] = {}

    def find_global(self, module: str, name: str) -> Any:
        allowed = (
            (module == "collections" and name == "OrderedDict")
            or (module == "torch._utils" and name in _REBUILDERS)
            or (module == "torch" and (name in STORAGE_DTYPES or name == "Size"))
        )
        if module == "torch" and name in TORCH_DTYPES:
            return np.dtype(TORCH_DTYPES[name])
        if not allowed:
            raise CheckpointError(
                f"refused to load the global {module}.{name}: only {self.allows} are read "
                "(nnblocks never unpickles arbitrary objects); for a model saved whole, save "
                "its weights in PyTorch with torch.save(model.state_dict(), path) and load "
                "those into the model built in code"
            )
        return Global(module, name)

    def reduce(self, func: Global, args: tuple) -> Any:
        if func.name == "OrderedDict":
            if args not in ((), ([],)):
                raise CheckpointError("OrderedDict is allowed only empty, filled by SETITEMS")
            return {}
        if func.name == "Size":
            if len(args) != 1 or not isinstance(args[0], tuple):
                raise CheckpointError("malformed torch.Size")
            return tuple(_integer(v, "torch.Size") for v in args[0])
        if func.name == "_rebuild_tensor_v2":
            if len(args) < 5 or not isinstance(args[0], _Storage):
                raise CheckpointError("malformed _rebuild_tensor_v2 arguments")
            storage, offset, size, stride, requires_grad = args[:5]
            data = _view(storage.array, offset, size, stride)
            return Tensor(data, requires_grad=bool(requires_grad) and data.dtype.kind == "f")
        if func.name in ("_rebuild_parameter", "_rebuild_parameter_with_state"):
            if len(args) < 2 or not isinstance(args[0], Tensor):
                raise CheckpointError(f"malformed {func.name} arguments")
            return Tensor(args[0].array, requires_grad=bool(args[1]))
        raise CheckpointError(f"calling {func!r} is not allowed")

    def build(self, target: Any, state: Any) -> Any:
        # an OrderedDict with attributes (a state dict's ``_metadata``): keep the items only
        if isinstance(target, dict) and (state is None or isinstance(state, dict)):
            return target
        raise CheckpointError(f"BUILD of {type(target).__name__} is not allowed")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError(f"unexpected persistent id {str(pid)[:80]!r}")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, Global) or kind.name not in STORAGE_DTYPES:
            raise CheckpointError(f"storage type {kind!r} is not supported")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(self._read_storage(kind.name, key, numel))
        return self.storages[key]

    def _read_storage(self, kind: str, key: str, numel: Any) -> np.ndarray:
        numel = _integer(numel, "storage size")
        name = f"{self.prefix}data/{key}"
        try:
            raw = self.archive.read(name)
        except KeyError:
            raise CheckpointError(f"storage entry {name!r} is missing") from None
        dtype = STORAGE_DTYPES[kind]
        if dtype == "bfloat16":                   # the high 16 bits of a float32
            half = np.frombuffer(raw, dtype=np.dtype(np.uint16).newbyteorder(self.byteorder))
            self._check_size(name, half, numel)
            return (half[:numel].astype(np.uint32) << 16).view(np.float32)
        array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(self.byteorder))
        self._check_size(name, array, numel)
        return array[:numel].astype(np.dtype(dtype))              # native byte order, a copy

    @staticmethod
    def _check_size(name: str, array: np.ndarray, numel: int) -> None:
        if array.size < numel:
            raise CheckpointError(f"storage {name!r} holds {array.size} elements, expected {numel}")


def _integer(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"malformed {what}: {value!r}")
    return value


def _view(flat: np.ndarray, offset: Any, size: Any, stride: Any) -> np.ndarray:
    """A copy of the elements ``flat[offset + sum(i_k * stride_k)]``, bounds-checked."""
    offset = _integer(offset, "tensor offset")
    if not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride):
        raise CheckpointError("malformed tensor size/stride")
    size = tuple(_integer(s, "tensor size") for s in size)
    stride = tuple(_integer(s, "tensor stride") for s in stride)
    if 0 in size:
        return np.empty(size, dtype=flat.dtype)
    last = offset + sum((n - 1) * st for n, st in zip(size, stride))
    if last >= flat.size:
        raise CheckpointError(
            f"tensor of size {size} and stride {stride} at offset {offset} reaches element "
            f"{last} of a storage of {flat.size}"
        )
    strides = tuple(st * flat.itemsize for st in stride)
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size, strides=strides,
                                           writeable=False)
    return np.array(view, order="C")


def is_torch_file(data: bytes) -> bool:
    """Whether ``data`` is a zip archive with a ``data.pkl`` entry (torch.save's format)."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.endswith("/data.pkl") or n == "data.pkl" for n in archive.namelist())
    except zipfile.BadZipFile:
        return False


def read_torch_file(source: str | os.PathLike | bytes, name: str | None = None) -> Any:
    """The object a ``torch.save`` file holds, with tensors as nnblocks :class:`Tensor`\\ s.

    Raises :class:`~nnblocks.io.CheckpointError` naming the file for anything else than state
    dicts, optimizer state dicts and nested containers of tensors and numbers.
    """
    if name is None:
        name = "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source)
    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    if data[:2] == b"\x80\x02" or data[:1] == b"\x80":
        raise CheckpointError(
            f"{name}: PyTorch's legacy (pre-1.6) format is not read; re-save it with "
            "torch.save(obj, path) from a recent PyTorch (the zip format)"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except zipfile.BadZipFile as e:
        raise CheckpointError(f"{name}: not a torch.save file ({e})") from None
    pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if any(n.endswith("constants.pkl") for n in names):
        raise CheckpointError(
            f"{name}: a TorchScript archive (torch.jit.save) is not read; save the model's "
            "state_dict() with torch.save and load that"
        )
    if len(pickles) != 1:
        raise CheckpointError(f"{name}: not a torch.save file (no single data.pkl entry)")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = "little"
    if f"{prefix}byteorder" in names:
        byteorder = archive.read(f"{prefix}byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise CheckpointError(f"{name}: unknown byte order {byteorder!r}")
    policy = _TorchPolicy(archive, prefix, byteorder)
    try:
        return loads(archive.read(pickles[0]), policy)
    except CheckpointError as e:
        raise CheckpointError(f"{name}: {e}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise CheckpointError(f"{name}: corrupt torch.save file ({e})") from None
