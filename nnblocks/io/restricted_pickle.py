"""A pickle interpreter that builds only what a policy allows. No ``pickle`` module.

Python's ``pickle`` runs any callable a file names (``posix.system``, ``builtins.eval`` ...), so
nnblocks never uses it to read. Files that other tools write as pickles (CIFAR-10's batches,
PyTorch's ``torch.save`` archives) are read here instead: a small stack machine of our own
executes the opcodes that such files contain — plain containers, numbers, strings, bytes — and
hands everything else to a :class:`Policy`:

- ``GLOBAL`` / ``STACK_GLOBAL`` ask :meth:`Policy.find_global`, which returns a *marker* (a
  name, never anything callable from the file) or raises;
- ``REDUCE`` asks :meth:`Policy.reduce` what the marker applied to its arguments builds
  (the policy's own constructor, written in nnblocks);
- ``BUILD`` asks :meth:`Policy.build`; ``BINPERSID`` asks :meth:`Policy.persistent_load`.

Every other opcode (``INST``, ``OBJ``, ``NEWOBJ``, ``EXT*``, ``PERSID`` as text ...), malformed or
truncated data and a result that still holds an unfinished marker raise the policy's error
class, naming the problem. Nothing is ever called that the file names.

>>> loads(b"\\x80\\x02}q\\x00X\\x01\\x00\\x00\\x00aK\\x07s.", Policy())
{'a': 7}
"""

from __future__ import annotations

import struct
from typing import Any


class RestrictedPickleError(ValueError):
    """The default error of a :class:`Policy`: the data holds something that is not allowed."""


class Global:
    """A global the policy allowed: its module and name, never the object itself."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


class Pending:
    """Base of placeholders a policy builds in two steps (``REDUCE`` then ``BUILD``)."""


class Policy:
    """What a restricted reader may build beyond plain containers and scalars (by default:
    nothing). Subclasses override the hooks; each hook raises :attr:`error` to refuse."""

    error: type[Exception] = RestrictedPickleError
    #: what the refusal messages call the allowed content, e.g. "NumPy arrays"
    allows = "plain containers, numbers and strings"

    def find_global(self, module: str, name: str) -> Any:
        raise self.error(f"global {module}.{name} is not allowed (only {self.allows})")

    def reduce(self, func: Any, args: tuple) -> Any:
        raise self.error(f"calling {func!r} is not allowed (only {self.allows})")

    def build(self, target: Any, state: Any) -> Any:
        raise self.error(f"BUILD of {type(target).__name__} is not allowed")

    def persistent_load(self, pid: Any) -> Any:
        raise self.error("persistent ids are not allowed in this data")


class _Machine:
    def __init__(self, data: bytes, policy: Policy) -> None:
        self.data = data
        self.policy = policy
        self.error = policy.error
        self.pos = 0
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.error("truncated pickle data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def readline(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise self.error("truncated pickle data")
        line = self.data[self.pos:end].decode("ascii")
        self.pos = end + 1
        return line

    def pop(self) -> Any:
        if not self.stack:
            raise self.error("malformed pickle: stack underflow")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise self.error("malformed pickle: stack underflow")
        return self.stack[-1]

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.error("malformed pickle: no MARK")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def put(self, index: int) -> None:
        self.memo[index] = self.top()

    def get(self, index: int) -> None:
        if index not in self.memo:
            raise self.error(f"malformed pickle: memo key {index} missing")
        self.stack.append(self.memo[index])

    def build(self) -> None:
        state = self.pop()
        target = self.pop()
        built = self.policy.build(target, state)
        if built is not target:
            for key, value in self.memo.items():          # memo entries of the placeholder
                if value is target:
                    self.memo[key] = built
        self.stack.append(built)

    def setitems(self, items: list[Any]) -> None:
        target = self.top()
        if not isinstance(target, dict) or len(items) % 2:
            raise self.error("malformed pickle: SETITEMS")
        for k in range(0, len(items), 2):
            key = items[k]
            if not isinstance(key, (str, bytes, int)):
                raise self.error(f"dict key of type {type(key).__name__} is not allowed")
            target[key] = items[k + 1]

    def append(self, items: list[Any]) -> None:
        target = self.top()
        if not isinstance(target, list):
            raise self.error("malformed pickle: APPEND to a non-list")
        target.extend(items)

    def text(self, value: Any) -> str:
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if isinstance(value, str):
            return value
        raise self.error(f"expected a string, got {type(value).__name__}")


def _step(r: _Machine, op: int) -> bool:
    """Execute one opcode; return True at STOP."""
    s = r.stack
    if op == 0x80:                                   # PROTO
        proto = r.read(1)[0]
        if proto > 5:
            raise r.error(f"pickle protocol {proto} is not supported (at most 5)")
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
            raise r.error("malformed pickle: stack underflow")
        items = tuple(s[-n:])
        del s[-n:]
        s.append(items)
    elif op == ord("a"):                             # APPEND
        value = r.pop()
        r.append([value])
    elif op == ord("e"):                             # APPENDS
        r.append(r.pop_mark())
    elif op == ord("s"):                             # SETITEM
        value, key = r.pop(), r.pop()
        r.setitems([key, value])
    elif op == ord("u"):                             # SETITEMS
        r.setitems(r.pop_mark())
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
        s.append(r.policy.find_global(module, r.readline()))
    elif op == 0x93:                                 # STACK_GLOBAL
        name, module = r.pop(), r.pop()
        s.append(r.policy.find_global(r.text(module), r.text(name)))
    elif op == ord("R"):                             # REDUCE
        args = r.pop()
        func = r.pop()
        if not isinstance(func, Global) or not isinstance(args, tuple):
            raise r.error(f"REDUCE of {func!r} is not allowed")
        s.append(r.policy.reduce(func, args))
    elif op == ord("b"):                             # BUILD
        r.build()
    elif op == ord("Q"):                             # BINPERSID
        s.append(r.policy.persistent_load(r.pop()))
    else:
        raise r.error(f"pickle opcode {bytes([op])!r} is not allowed by the restricted reader")
    return False


def loads(data: bytes, policy: Policy) -> Any:
    """Decode pickle ``data``, building only plain values and what ``policy`` allows."""
    r = _Machine(bytes(data), policy)
    try:
        while True:
            if _step(r, r.read(1)[0]):
                break
    except (UnicodeDecodeError, struct.error, TypeError, ValueError, OverflowError) as e:
        if isinstance(e, policy.error):
            raise
        raise policy.error(f"malformed pickle data ({e})") from None
    if len(r.stack) != 1:
        raise policy.error("malformed pickle: the stack does not end with one object")
    result = r.stack[0]
    _check_finished(result, policy)
    return result


def _check_finished(obj: Any, policy: Policy) -> None:
    """Refuse results that still hold a marker (a global, or a placeholder never built)."""
    pending = [obj]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if id(item) in seen:                # a container that holds itself (via the memo)
            continue
        seen.add(id(item))
        if isinstance(item, (Global, Pending)):
            raise policy.error(f"malformed pickle: unfinished object {item!r} in the result")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
