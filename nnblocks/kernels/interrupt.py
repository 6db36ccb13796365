"""Ctrl-C while numba compiles a kernel: deferred until the compilation ends, then raised.

A ``KeyboardInterrupt`` raised inside numba's compiler lands in LLVM's ctypes callbacks, where
Python prints "Exception ignored in ctypes callback" and numba then fails with "no compiled
object yet" (or, now and then, the interrupt is lost and the program runs on). The command
line installs :func:`sigint_handler`: when the interrupted code is inside a kernel call (which
runs Python code only while compiling) it only records the interrupt, and the kernel call raises
``KeyboardInterrupt`` as soon as it returns (:func:`raise_pending`). Elsewhere it raises at
once, as Python's default handler does.
"""

from __future__ import annotations

import threading
from types import FrameType
from typing import Any

#: whether an interrupt arrived during a compilation and is still to be raised
_pending = [False]
#: code objects of the functions inside which an interrupt is deferred (Kernel.__call__)
_deferring: set[Any] = set()


def defer_inside(code: Any) -> None:
    """Defer interrupts that arrive while a call of the function with ``code`` is running."""
    _deferring.add(code)


def sigint_handler(signum: int, frame: FrameType | None) -> None:
    """A SIGINT handler: ``KeyboardInterrupt`` now, or when the kernel being compiled is ready."""
    while frame is not None:
        if frame.f_code in _deferring:
            _pending[0] = True
            return
        frame = frame.f_back
    raise KeyboardInterrupt


def pending() -> bool:
    return _pending[0]


def raise_pending() -> None:
    """Raise the deferred ``KeyboardInterrupt`` (only in the main thread, where Python raises
    interrupts; worker threads leave it to the main thread)."""
    if _pending[0] and threading.current_thread() is threading.main_thread():
        _pending[0] = False
        raise KeyboardInterrupt
