r"""A small thread pool that splits a batch across cores, for the compiled path.

Why threads and not BLAS's own threads: in a convolution step only the GEMMs are multi-threaded
by BLAS; im2col, col2im, pooling and the element-wise work run on one core. Here each thread
takes a contiguous share of the work items (chunks of images) and runs all of it, GEMMs
included, with BLAS limited to one thread for the duration (numba kernels and NumPy's GEMMs
release the GIL, so the threads really run in parallel). Measured on a 2-core machine this beat
two BLAS threads on the whole batch (``/work/shared/PERF_NOTES.md``).

The number of threads is ``NNBLOCKS_NUM_THREADS`` when set, else the CPUs this process may run
on; :func:`set_num_threads` changes it. With one thread nothing is started.

Results never depend on the number of threads: work is split into the same items whatever it
is, and partial results (e.g. weight gradients per chunk) are summed in item order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_pool: dict[str, Any] = {"threads": None, "executor": None, "blas": None}
_local = threading.local()


def _default_threads() -> int:
    env = os.environ.get("NNBLOCKS_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"NNBLOCKS_NUM_THREADS must be a positive int, got {env!r}") from None
        if n < 1:
            raise ValueError(f"NNBLOCKS_NUM_THREADS must be a positive int, got {env!r}")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                         # not Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Threads the compiled path uses (``NNBLOCKS_NUM_THREADS``, else the available CPUs)."""
    if _pool["threads"] is None:
        _pool["threads"] = _default_threads()
    return _pool["threads"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads from now on (1: run everything in the calling thread)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    executor = _pool["executor"]
    if executor is not None:
        executor.shutdown(wait=True)
    _pool.update(threads=n, executor=None)


def _blas_controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries NumPy loaded (found once)."""
    if _pool["blas"] is None:
        from threadpoolctl import ThreadpoolController

        _pool["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
    return _pool["blas"]


def workspace(name: str, size: int, dtype: Any, zero_tag: Any = None) -> Any:
    """This thread's flat scratch array ``name`` of at least ``size`` elements: its first
    ``size`` (a contiguous view). Kept across calls and grown when needed, never shrunk.

    With ``zero_tag`` the view is zeroed whenever the tag differs from the previous call's (or
    the buffer was reallocated): a caller that overwrites the same region each time (the
    interior of a padded image) gets a border that stays zero without rewriting it.
    """
    import numpy as np

    cache = getattr(_local, "buffers", None)
    if cache is None:
        cache = _local.buffers = {}
    key = (name, np.dtype(dtype).str)
    entry = cache.get(key)
    if entry is None or entry[0].size < size:
        entry = cache[key] = [np.empty(max(size, 1), dtype=dtype), None]
    view = entry[0][:size]
    if zero_tag is not None and entry[1] != (zero_tag, size):
        view.fill(0)
        entry[1] = (zero_tag, size)
    return view


def run(task: Callable[[int], None], n_items: int) -> None:
    """Call ``task(i)`` for ``i in range(n_items)``, items split into contiguous shares.

    With one thread (or one item) the items run in order in the calling thread. Otherwise the
    calling thread runs the first share and pool threads the others, BLAS limited to one
    thread meanwhile; exceptions are re-raised in the caller.
    """
    threads = min(get_num_threads(), n_items)
    if threads <= 1:
        for i in range(n_items):
            task(i)
        return
    bounds = [n_items * t // threads for t in range(threads + 1)]

    def share(t: int) -> None:
        for i in range(bounds[t], bounds[t + 1]):
            task(i)

    executor = _pool["executor"]
    if executor is None:
        executor = _pool["executor"] = ThreadPoolExecutor(
            get_num_threads() - 1, thread_name_prefix="nnblocks")
    blas = _blas_controller()
    before = [lib.get_num_threads() for lib in blas]
    for lib in blas:
        lib.set_num_threads(1)
    try:
        futures = [executor.submit(share, t) for t in range(1, threads)]
        error = None
        try:
            share(0)
        except BaseException as exc:               # still wait for the others
            error = exc
        for f in futures:
            try:
                f.result()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error
    finally:
        for lib, n in zip(blas, before):
            lib.set_num_threads(n)


def split(n: int, parts: int) -> Sequence[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n)`` (sizes differ by ≤ 1)."""
    return [(n * p // parts, n * (p + 1) // parts) for p in range(parts)]
