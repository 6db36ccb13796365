r"""Optional compiled kernels for the hot loops of convolution, pooling, ReLU and Adam.

The NumPy code in :mod:`nnblocks.functional` and :mod:`nnblocks.optim` is the reference: it is
what the docstrings derive and what the tests check against PyTorch. When `numba
<https://numba.pydata.org>`_ is installed (``pip install nnblocks[speed]``) the same blocks run a
second path built from

- small loop kernels written in plain Python over flat arrays (in :mod:`.conv`, :mod:`.pool`,
  :mod:`.elementwise`), compiled by numba on first use (``cache=True``: once per machine) and
  running without the GIL, and
- NumPy's BLAS GEMMs on chunks of a few images, so the im2col matrix of a chunk stays in cache
  and is never kept for the backward pass (it is recomputed from the saved input), and
- a small thread pool (:mod:`.threads`) that gives each thread a share of the batch.

Both paths compute the same mathematics; ``tests/kernels`` checks that they agree (bit for bit
where the order of the floating-point operations is the same, else to a few ulps).

Switches: ``NNBLOCKS_DISABLE_NUMBA=1`` in the environment, or :func:`use_numba` at run time;
``NNBLOCKS_NUM_THREADS`` sets the number of threads (see :mod:`.threads`). Blocks and optimizers
never read the switch themselves: each declares its ``compiled_twin`` and asks
:func:`nnblocks.kernels.dispatch.use_compiled` once per forward (or update); the answer goes into
``saved`` and backward follows it (:mod:`.dispatch` says how to add a twin).

Memory allocator: a training step allocates and frees tens of MB of activations and gradients.
With glibc's default settings each of those big blocks goes back to the kernel when freed and
comes back as fresh pages that are faulted in and zeroed on next use: ~3,600 page faults and
~7-10 ms of system time per LeNet step at batch 64, a third of the step. :func:`pad_heap` asks
glibc to keep 64 MiB of padding at the top of its heap (``mallopt(M_TOP_PAD)``) and, because
that call also freezes glibc's *dynamic* mmap threshold wherever the imports left it (glibc
raises it up to 32 MiB as big blocks are freed, and stops once any threshold is set by hand),
sets the thresholds to the values that rule would reach: blocks up to 32 MiB come from the heap
(``M_MMAP_THRESHOLD``) and free memory at its top is given back beyond 64 MiB
(``M_TRIM_THRESHOLD``). Measured: under one fault per step for LeNet, and for VGG at batch 128
(16 MiB activations, above the frozen threshold) 8,000 faults and 24-30 ms of system time per
step → 1. It changes no result; peak memory can grow by a few percent (freed blocks left as
holes in the heap are reused rather than unmapped). It is a process-wide setting, so importing
nnblocks never does it: the command line, :func:`nnblocks.train.fit` and the benchmarks call
it, and a program of your own can call ``nnblocks.kernels.pad_heap()`` or set
``NNBLOCKS_MALLOC_TOP_PAD`` (a size in bytes; 0 turns the calls above off).

>>> import nnblocks.kernels as K
>>> previous = K.use_numba(False)
>>> K.numba_enabled()
False
>>> _ = K.use_numba(previous)
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from typing import Any

from nnblocks.kernels import interrupt as _interrupt

_state: dict[str, Any] = {
    "have": None,          # None: not probed yet; else whether `import numba` works
    "enabled": os.environ.get("NNBLOCKS_DISABLE_NUMBA", "") not in ("1", "true", "True", "yes"),
}


def have_numba() -> bool:
    """Whether numba can be imported (probed once, on first call)."""
    if _state["have"] is None:
        try:
            import numba  # noqa: F401
        except ImportError:
            _state["have"] = False
        else:
            _state["have"] = True
    return _state["have"]


def numba_enabled() -> bool:
    """Whether the compiled path is used: numba is importable and not switched off."""
    return _state["enabled"] and have_numba()


def use_numba(flag: bool) -> bool:
    """Switch the compiled path on or off (it stays off without numba); returns the old setting.

    A block records in its saved state which path ran its forward, and its backward follows that
    path, so switching between a forward and its backward is safe.
    """
    previous = _state["enabled"]
    _state["enabled"] = bool(flag)
    return previous


class Kernel:
    """A plain-Python loop function compiled by numba on its first call.

    ``numba.njit(cache=True, nogil=True, error_model="numpy", **options)`` is applied lazily,
    so importing nnblocks never imports numba; the compiled code is cached on disk next to the
    source (or in numba's user cache directory), so later processes load it instead of
    compiling (~0.5-2 s per kernel and dtype the first time). ``error_model="numpy"``: a
    division by zero gives inf/NaN as in NumPy instead of raising, which also removes a branch
    per division that stopped loops from vectorizing (Adam: 0.8 -> 0.2 ms for 200k weights).
    ``py_func`` stays callable as ordinary (slow) Python.
    """

    __slots__ = ("py_func", "options", "_compiled")

    def __init__(self, py_func: Callable[..., Any], **options: Any) -> None:
        self.py_func = py_func
        self.options = options
        self._compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        compiled = self._compiled
        if compiled is None:
            import numba

            options = {"cache": True, "nogil": True, "error_model": "numpy", **self.options}
            compiled = numba.njit(**options)(self.py_func)
            self._compiled = compiled
        try:
            return compiled(*args)
        finally:
            if _interrupt.pending():                # Ctrl-C during the compilation
                _interrupt.raise_pending()


_interrupt.defer_inside(Kernel.__call__.__code__)


def kernel(py_func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Decorator: compile ``py_func`` with numba on first use (see :class:`Kernel`);
    ``@kernel(fastmath={"reassoc"})`` passes options to ``numba.njit``."""
    if py_func is None:
        return lambda f: Kernel(f, **options)
    return Kernel(py_func, **options)


#: glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
#: blocks up to this size come from the heap: glibc's own ceiling for its dynamic threshold
#: (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit); larger ones are mapped and unmapped as before
MMAP_THRESHOLD = 32 << 20


def pad_heap(size: int | None = None) -> bool:
    """Ask glibc to keep ``size`` bytes (default 64 MiB, or ``NNBLOCKS_MALLOC_TOP_PAD``) of
    padding at the top of the heap, blocks up to :data:`MMAP_THRESHOLD` in the heap, and up to
    ``max(size, 2 MMAP_THRESHOLD)`` of free memory at its top (see the module docstring);
    returns whether glibc took all three. Does nothing off Linux/glibc or with a size of 0."""
    if size is None:
        try:
            size = int(os.environ.get("NNBLOCKS_MALLOC_TOP_PAD", 64 << 20))
        except ValueError:                         # a malformed setting: leave malloc alone
            return False
    if size <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):              # not glibc
        return False
    settings = ((_M_TOP_PAD, size), (_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                (_M_TRIM_THRESHOLD, max(size, 2 * MMAP_THRESHOLD)))
    results = [bool(mallopt(param, ctypes.c_int(value))) for param, value in settings]
    return all(results)                            # each is set even if another is refused


if os.environ.get("NNBLOCKS_MALLOC_TOP_PAD", "").strip():   # asked for explicitly
    pad_heap()


def __getattr__(name: str) -> Any:
    if name == "HAVE_NUMBA":                       # probed lazily: importing numba takes ~0.3 s
        return have_numba()
    raise AttributeError(f"module 'nnblocks.kernels' has no attribute '{name}'")


__all__ = ["HAVE_NUMBA", "Kernel", "have_numba", "kernel", "numba_enabled", "pad_heap",
           "use_numba"]
