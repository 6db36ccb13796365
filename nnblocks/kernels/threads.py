r"""A small thread pool that splits a batch across cores, for the compiled path.

Why threads and not BLAS's own threads: in a convolution step only the GEMMs are multi-threaded
by BLAS; im2col, col2im, pooling and the element-wise work run on one core. Here the threads
take work items (chunks of images) one at a time and run all of each, GEMMs included, with
BLAS limited to one thread for the duration (numba kernels and NumPy's GEMMs release the GIL,
so the threads really run in parallel). Measured on a 2-core machine this beat two BLAS
threads on the whole batch (benchmarks/README.md).

The number of threads is ``NNBLOCKS_NUM_THREADS`` when set, else the CPUs this process may run
on; :func:`set_num_threads` changes it. With one thread nothing is started.

Results never depend on the number of threads or on which thread ran which item: where it
matters, work is split into the same items whatever the thread count, and partial results
(e.g. weight gradients per chunk) are summed in item order.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_pool: dict[str, Any] = {"threads": None, "workers": [], "blas": None}
_local = threading.local()
_busy = threading.Lock()                           # one parallel section at a time
#: held while BLAS's (process-wide) thread count is changed, for the whole of a scoped change:
#: two threads never interleave their set/restore, so each restores what it found
_blas_lock = threading.RLock()             # re-entrant: a section inside a scoped change


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


#: work items per thread for passes that can be cut anywhere (element ranges, planes,
#: channels): a worker that wakes late leaves its items to the others
ITEMS_PER_THREAD = 2


def get_num_threads() -> int:
    """Threads the compiled path uses (``NNBLOCKS_NUM_THREADS``, else the available CPUs)."""
    if _pool["threads"] is None:
        _pool["threads"] = _default_threads()
    return _pool["threads"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads from now on (1: run everything in the calling thread)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _pool["threads"] = n


class _Worker:
    """A daemon thread that runs one task at a time, handed over through two locks (a round
    trip costs ~15 µs, about half of ``concurrent.futures``')."""

    def __init__(self) -> None:
        self.start = threading.Lock()
        self.start.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        self.task: Callable[[], None] | None = None
        self.error: BaseException | None = None
        threading.Thread(target=self._loop, daemon=True, name="nnblocks-worker").start()

    def _loop(self) -> None:
        while True:
            self.start.acquire()
            try:
                self.task()
            except BaseException as exc:           # re-raised in the caller
                self.error = exc
            self.task = None
            self.done.release()

    def submit(self, task: Callable[[], None]) -> None:
        self.task = task
        self.error = None
        self.start.release()

    def wait(self) -> BaseException | None:
        self.done.acquire()
        return self.error


def _workers(n: int) -> list[_Worker]:
    workers = _pool["workers"]
    while len(workers) < n:
        workers.append(_Worker())
    return workers[:n]


def _forget_workers() -> None:
    """In a forked child the parent's worker threads do not exist."""
    _pool["workers"] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def _blas_controller() -> Any:
    """threadpoolctl's controllers of the BLAS libraries NumPy loaded (found once)."""
    if _pool["blas"] is None:
        from threadpoolctl import ThreadpoolController

        _pool["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
    return _pool["blas"]


def blas_num_threads() -> list[int]:
    """BLAS's thread count, per BLAS library NumPy loaded."""
    return [lib.get_num_threads() for lib in _blas_controller()]


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """BLAS at ``n`` threads inside the ``with`` block, restored on exit (also on an error).

    BLAS's thread count is one setting for the whole process, so the change is scoped and
    serialized: the block holds a lock, and a scoped change in another thread (another
    parallel section, :class:`BlasLimit`) waits until this one has restored what it found.
    """
    with _blas_lock:
        blas = _blas_controller()
        before = [lib.get_num_threads() for lib in blas]
        for lib in blas:
            lib.set_num_threads(n)
        try:
            yield
        finally:
            for lib, count in zip(blas, before):
                lib.set_num_threads(count)


class BlasLimit:
    """A lasting BLAS thread limit (the command line's ``--threads N``): set now, undone by
    :meth:`restore` (or leaving a ``with`` block), each under the same lock as
    :func:`blas_threads`, so a parallel section running meanwhile never loses it."""

    def __init__(self, n: int) -> None:
        with _blas_lock:
            self._blas = _blas_controller()
            self._before: list[int] | None = [lib.get_num_threads() for lib in self._blas]
            for lib in self._blas:
                lib.set_num_threads(n)

    def restore(self) -> None:
        with _blas_lock:
            if self._before is not None:
                for lib, count in zip(self._blas, self._before):
                    lib.set_num_threads(count)
                self._before = None

    def __enter__(self) -> BlasLimit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


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


def run(task: Callable[[int], None], n_items: int, gemm: bool = False) -> None:
    """Call ``task(i)`` once for each ``i in range(n_items)``, in parallel; items must be
    independent (each writes its own part of the result).

    With one thread configured, or one item, the items run in order in the calling thread and
    nothing else changes, except that a single item of a section with GEMMs (``gemm``) runs
    with BLAS at one thread when more are configured (:func:`blas_single`): it is small work
    (a batch-1 convolution), and BLAS's own split of its GEMMs handed a few µs of work to a
    second thread and left that thread spinning (VGG at batch 1: 3x the CPU time per step, and
    slower at 2 threads than at 1). Otherwise the calling thread and the workers take items one
    by one (see :func:`_run_shares`), and BLAS is limited to one thread for the duration: BLAS
    threads that spin after a GEMM would otherwise fight the workers for the cores (measured:
    steps 1.5-5x slower on 2 cores); and BLAS's thread count is changed only then, because
    after a change its next multi-threaded GEMM has to wake its sleeping threads. Exceptions
    are re-raised in the caller.
    """
    configured = get_num_threads()
    if configured > 1 and n_items == 1 and gemm:
        blas_single(task, 0)
        return
    if configured <= 1 or n_items <= 1:
        for i in range(n_items):
            task(i)
        return
    if not _busy.acquire(blocking=False):          # another thread's section is running
        for i in range(n_items):
            task(i)
        return
    try:
        with blas_threads(1):                      # restored on exit, serialized (a lock)
            _run_shares(task, n_items, min(configured, n_items))
    finally:
        _busy.release()


def _run_shares(task: Callable[[int], None], n_items: int, shares: int) -> None:
    """Run the items on the calling thread and ``shares - 1`` workers, each taking the next
    unclaimed item until none is left (dynamic: a worker that wakes late — waking a sleeping
    core costs up to ~0.3 ms on these machines — simply takes fewer items)."""
    counter = itertools.count()                    # next() is atomic under the GIL

    def work() -> None:
        for i in counter:
            if i >= n_items:
                return
            task(i)

    workers = _workers(shares - 1)
    for worker in workers:
        worker.submit(work)
    error = None
    try:
        work()
    except BaseException as exc:                   # still wait for the workers
        error = exc
    for worker in workers:
        error = worker.wait() or error
    if error is not None:
        raise error


def split(n: int, parts: int) -> Sequence[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n)`` (sizes differ by ≤ 1)."""
    return [(n * p // parts, n * (p + 1) // parts) for p in range(parts)]


#: GEMMs below this many multiply-adds are not split among threads. A section of the pool costs
#: ~100 µs on these machines (a sleeping worker woken, the GIL passed between the threads), so
#: a product must take well over that to gain from a split. Measured at 2 threads, µs (pool
#: split / BLAS at one thread): 16x1568x128 171-211 / 122-128; 128x256x256 211-226 / 175;
#: 64x1568x128 343-382 / 283-309; 128x784x256 401-461 / 524-528. LeNet at batch 16 (its linear
#: layer 3.2M multiply-adds) at 2 threads: 6.0-6.5 -> 4.8-5.7 ms per step with 2^24 instead of
#: 2^21.
MATMUL_SPLIT_MIN = 1 << 24


def matmul_supported(a: Any, b: Any) -> bool:
    """Whether :func:`matmul` takes these operands: two 2-D arrays."""
    return a.ndim == 2 and b.ndim == 2


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` for 2-D arrays, rows shared among nnblocks' threads for large products.

    With more than one thread configured and at least :data:`MATMUL_SPLIT_MIN` multiply-adds,
    the rows of ``a`` are split into one item per thread and each item is one GEMM with BLAS
    at one thread (see :func:`run`); smaller products are one ``np.matmul``, with BLAS at one
    thread (:func:`blas_single`) when OpenBLAS would split it (:func:`blas_would_split`): on
    two threads of its own it splits any GEMM above ~0.26M multiply-adds, and its second
    thread then spins for a while after the call, taking a core from the pool's threads in
    the sections that follow (MobileNet at 2 threads: 31 ms of extra CPU per 40 ms step, from
    one such GEMM in the global average pooling). With one thread configured it is one
    ``np.matmul`` under BLAS's own setting. The choice depends
    only on the shapes and the thread setting, never on timing, so the same inputs and settings
    give the same bits. Splitting rows does not change any element's sum (each is one dot
    product over the same K blocks), so a split product equals the single-threaded GEMM bit for
    bit on the shapes measured (128x784x256, 256x3072x1024, 12544x400x32 float32), whereas
    OpenBLAS on two threads of its own rounds some shapes differently (6e-5 on 128x784x256).
    """
    import numpy as np

    m, k = a.shape
    n = b.shape[1]
    if get_num_threads() <= 1:
        return np.matmul(a, b)
    if m < 2 or m * k * n < MATMUL_SPLIT_MIN:
        if blas_would_split(m, k, n):
            return blas_single(np.matmul, a, b)
        return np.matmul(a, b)
    out = np.empty((m, n), dtype=np.result_type(a, b))
    ranges = split(m, min(get_num_threads(), m))

    def block(i: int) -> None:
        r0, r1 = ranges[i]
        np.matmul(a[r0:r1], b, out=out[r0:r1])

    run(block, len(ranges))
    return out


#: OpenBLAS runs a GEMM on one thread below this many multiply-adds (interface/gemm.c:
#: SMP_THRESHOLD_MIN 65536 x GEMM_MULTITHREAD_THRESHOLD 4), a GEMV below this many matrix
#: elements (interface/gemv.c: 2304 x 4); NumPy's matmul calls GEMV when a side is a vector
OPENBLAS_GEMM_SPLIT = 65536 * 4
OPENBLAS_GEMV_SPLIT = 2304 * 4


def blas_would_split(m: int, k: int, n: int) -> bool:
    """Whether OpenBLAS on several threads would split an ``(m, k) @ (k, n)`` product. Only
    then is BLAS's thread count worth changing around it: a change costs ~3 µs, and a GEMM
    that follows on BLAS's threads (a recurrent network's own) has to wake them again (tanh
    RNN at 2 threads: 2.7 -> 4.3 ms per step when its 32x128x10 head was wrapped)."""
    if m == 1 or n == 1:
        return m * k * n >= OPENBLAS_GEMV_SPLIT
    return m * k * n >= OPENBLAS_GEMM_SPLIT


def blas_single(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with BLAS at one thread, restored after (as :func:`blas_threads` ``(1)``,
    for ~3 µs instead of ~6: this wraps single small GEMMs)."""
    with _blas_lock:
        blas = _pool["blas"] if _pool["blas"] is not None else _blas_controller()
        before = [lib.get_num_threads() for lib in blas]
        for lib, count in zip(blas, before):
            if count != 1:
                lib.set_num_threads(1)
        try:
            return fn(*args)
        finally:
            for lib, count in zip(blas, before):
                if count != 1:
                    lib.set_num_threads(count)
