"""A restricted reader of the pickle data in CIFAR-10's "python version" batches. No ``pickle``.

Python's ``pickle`` module runs any callable a file names, so the library never uses it to read.
CIFAR batches are pickles (protocol 2, written by Python 2's cPickle) of a dict of strings, a list
of ints, a list of strings and one NumPy uint8 array. This module interprets only the opcodes
such files contain, with a stack machine of its own, and allows exactly these "globals", none of
which is ever called — each is replaced by a constructor written here:

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

import struct
from typing import Any

import numpy as np

from nnblocks.data.errors import DataFormatError

_ARRAY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")


class _Global:
    """A whitelisted global: a name, never a callable."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


class _PendingDtype:
    def __init__(self, descr: str) -> None:
        self.descr = descr
        self.byteorder = "="


class _PendingArray:
    pass


def _allowed_global(module: str, name: str) -> _Global:
    ok = (
        (module in _ARRAY_MODULES and name == "_reconstruct")
        or (module == "numpy" and name in ("ndarray", "dtype"))
        or (module == "_codecs" and name == "encode")
    )
    if not ok:
        raise DataFormatError(f"global {module}.{name} is not allowed (only NumPy arrays)")
    return _Global(module, name)


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    raise DataFormatError(f"expected a string, got {type(value).__name__}")


def _reduce(func: Any, args: Any) -> Any:
    if not isinstance(func, _Global) or not isinstance(args, tuple):
        raise DataFormatError(f"REDUCE of {func!r} is not allowed")
    if func.name == "_reconstruct":
        if len(args) != 3 or not (isinstance(args[0], _Global) and args[0].name == "ndarray"):
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


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataFormatError("truncated pickle data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def readline(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise DataFormatError("truncated pickle data")
        line = self.data[self.pos:end].decode("ascii")
        self.pos = end + 1
        return line

    def pop(self) -> Any:
        if not self.stack:
            raise DataFormatError("malformed pickle: stack underflow")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise DataFormatError("malformed pickle: no MARK")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def put(self, index: int) -> None:
        if not self.stack:
            raise DataFormatError("malformed pickle: memo of an empty stack")
        self.memo[index] = self.stack[-1]

    def get(self, index: int) -> None:
        if index not in self.memo:
            raise DataFormatError(f"malformed pickle: memo key {index} missing")
        self.stack.append(self.memo[index])

    def build(self) -> None:
        state = self.pop()
        target = self.pop()
        if isinstance(target, _PendingDtype):
            built: Any = _build_dtype(target, state)
        elif isinstance(target, _PendingArray):
            built = _build_array(state)
        else:
            raise DataFormatError(f"BUILD of {type(target).__name__} is not allowed")
        for key, value in self.memo.items():              # memo entries of the placeholder
            if value is target:
                self.memo[key] = built
        self.stack.append(built)


def _setitems(target: Any, items: list[Any]) -> None:
    if not isinstance(target, dict) or len(items) % 2:
        raise DataFormatError("malformed pickle: SETITEMS")
    for k in range(0, len(items), 2):
        key = items[k]
        if not isinstance(key, (str, bytes, int)):
            raise DataFormatError(f"dict key of type {type(key).__name__} is not allowed")
        target[key] = items[k + 1]


def _append(target: Any, items: list[Any]) -> None:
    if not isinstance(target, list):
        raise DataFormatError("malformed pickle: APPEND to a non-list")
    target.extend(items)


def _step(r: _Reader, op: int) -> bool:
    """Execute one opcode; return True at STOP."""
    s = r.stack
    if op == 0x80:                                   # PROTO
        proto = r.read(1)[0]
        if proto > 4:
            raise DataFormatError(f"pickle protocol {proto} is not supported (at most 4)")
    elif op == 0x95:                                 # FRAME (protocol 4): just a length
        r.read(8)
    elif op == ord("."):                             # STOP
        return True
    elif op == ord("("):                             # MARK
        r.marks.append(len(s))
    elif op == ord("}"):                             # EMPTY_DICT
        s.append({})
    elif op == ord("]"):                             # EMPTY_LIST
        s.append([])
    elif op == ord(")"):                             # EMPTY_TUPLE
        s.append(())
    elif op == ord("t"):                             # TUPLE
        s.append(tuple(r.pop_mark()))
    elif op in (0x85, 0x86, 0x87):                   # TUPLE1, TUPLE2, TUPLE3
        n = op - 0x84
        if len(s) < n:
            raise DataFormatError("malformed pickle: stack underflow")
        items = tuple(s[-n:])
        del s[-n:]
        s.append(items)
    elif op == ord("a"):                             # APPEND
        value = r.pop()
        _append(s[-1] if s else None, [value])
    elif op == ord("e"):                             # APPENDS
        items = r.pop_mark()
        _append(s[-1] if s else None, items)
    elif op == ord("s"):                             # SETITEM
        value, key = r.pop(), r.pop()
        _setitems(s[-1] if s else None, [key, value])
    elif op == ord("u"):                             # SETITEMS
        items = r.pop_mark()
        _setitems(s[-1] if s else None, items)
    elif op == ord("q"):                             # BINPUT
        r.put(r.read(1)[0])
    elif op == ord("r"):                             # LONG_BINPUT
        r.put(r.unpack("<I"))
    elif op == 0x94:                                 # MEMOIZE
        r.put(len(r.memo))
    elif op == ord("h"):                             # BINGET
        r.get(r.read(1)[0])
    elif op == ord("j"):                             # LONG_BINGET
        r.get(r.unpack("<I"))
    elif op == ord("J"):                             # BININT
        s.append(r.unpack("<i"))
    elif op == ord("K"):                             # BININT1
        s.append(r.read(1)[0])
    elif op == ord("M"):                             # BININT2
        s.append(r.unpack("<H"))
    elif op == 0x8A:                                 # LONG1
        s.append(int.from_bytes(r.read(r.read(1)[0]), "little", signed=True))
    elif op == ord("G"):                             # BINFLOAT
        s.append(r.unpack(">d"))
    elif op == ord("N"):                             # NONE
        s.append(None)
    elif op == 0x88:                                 # NEWTRUE
        s.append(True)
    elif op == 0x89:                                 # NEWFALSE
        s.append(False)
    elif op == ord("U") or op == ord("C"):           # SHORT_BINSTRING, SHORT_BINBYTES
        s.append(bytes(r.read(r.read(1)[0])))
    elif op == ord("T") or op == ord("B"):           # BINSTRING, BINBYTES
        s.append(bytes(r.read(r.unpack("<I"))))
    elif op == ord("X"):                             # BINUNICODE
        s.append(r.read(r.unpack("<I")).decode("utf-8"))
    elif op == 0x8C:                                 # SHORT_BINUNICODE
        s.append(r.read(r.read(1)[0]).decode("utf-8"))
    elif op == ord("c"):                             # GLOBAL
        module = r.readline()
        s.append(_allowed_global(module, r.readline()))
    elif op == 0x93:                                 # STACK_GLOBAL
        name, module = r.pop(), r.pop()
        s.append(_allowed_global(_as_text(module), _as_text(name)))
    elif op == ord("R"):                             # REDUCE
        args = r.pop()
        s.append(_reduce(r.pop(), args))
    elif op == ord("b"):                             # BUILD
        r.build()
    else:
        raise DataFormatError(f"pickle opcode {bytes([op])!r} is not allowed by the safe reader")
    return False


def safe_loads(data: bytes) -> Any:
    """Decode pickle ``data`` made only of plain containers, numbers, strings and numeric arrays.

    >>> safe_loads(b"\\x80\\x02}q\\x00U\\x01aK\\x07s.")
    {b'a': 7}
    """
    r = _Reader(bytes(data))
    try:
        while True:
            op = r.read(1)[0]
            if _step(r, op):
                break
    except (UnicodeDecodeError, struct.error, TypeError, ValueError) as e:
        if isinstance(e, DataFormatError):
            raise
        raise DataFormatError(f"malformed pickle data ({e})") from None
    if len(r.stack) != 1:
        raise DataFormatError("malformed pickle: the stack does not end with one object")
    result = r.stack[0]
    _check_finished(result)
    return result


def _check_finished(obj: Any) -> None:
    """Refuse results that still hold a placeholder (a global or an array never built)."""
    pending = [obj]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if id(item) in seen:                # a container that holds itself (via the memo)
            continue
        seen.add(id(item))
        if isinstance(item, (_Global, _PendingArray, _PendingDtype)):
            raise DataFormatError(f"malformed pickle: unfinished object {item!r} in the result")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
