"""The process group on MPI (``mpi4py``): PyTorch's ``torch.distributed`` names and semantics.

Every collective works **in place** on a C-contiguous NumPy buffer (a tensor's ``.data``)
through mpi4py's buffer interface: no array is ever pickled. Blocking calls are a nonblocking
MPI call plus :meth:`Work.wait`, which polls ``MPI_Test`` and sleeps between polls: a waiting
rank yields its core (MPICH would otherwise busy-poll, which starves the other ranks when there
are more ranks than cores) and checks for failed peers (:mod:`nnblocks.distributed.faults`), so
a dead or raising rank makes the others stop in bounded time instead of hanging.

>>> import nnblocks.distributed as dist
>>> dist.is_initialized()
False
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.distributed.faults import DistributedError, FaultMonitor, write_rank_table

DEFAULT_TIMEOUT = 60.0            # seconds a collective may make no progress
SPINS_BEFORE_SLEEP = 50           # MPI_Test polls before a wait starts sleeping
POLL_SLEEP = 50e-6                # seconds slept between later polls

EXTRA_HINT = 'install the MPI extra: pip install "nnblocks[distributed]" (mpi4py and mpich)'


class ReduceOp:
    """Reduction operations of :func:`all_reduce` (``dist.ReduceOp.SUM`` as in PyTorch)."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"


class _Group:
    def __init__(self, mpi: Any, comm: Any, timeout: float) -> None:
        self.mpi = mpi
        self.comm = comm
        # MPI errors (e.g. a peer's shared memory vanished) become exceptions we can report,
        # instead of MPI aborting this process without a word
        comm.Set_errhandler(mpi.ERRORS_RETURN)
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.monitor = FaultMonitor(mpi, comm, timeout)

    def start(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Start a nonblocking MPI call; an MPI error becomes a :class:`DistributedError`."""
        try:
            return call(*args, **kwargs)
        except self.mpi.Exception as error:
            self.monitor.explain(what, error)

    def test_requests(self, requests: list) -> bool:
        try:
            return bool(self.mpi.Request.Testall(requests))
        except self.mpi.Exception as error:
            self.monitor.explain("a test of a request", error)

    def wait_requests(self, requests: list, what: str) -> None:
        """Poll until ``requests`` complete; after a short spin, sleep between polls and check
        for failed peers (raises :class:`DistributedError`)."""
        started = time.monotonic()
        polls = 0
        try:
            while not self.mpi.Request.Testall(requests):
                polls += 1
                if polls > SPINS_BEFORE_SLEEP:
                    time.sleep(POLL_SLEEP)   # yield the core to the ranks we wait for
                    self.monitor.check(what, started)
        except self.mpi.Exception as error:
            self.monitor.explain(what, error)


_group: _Group | None = None


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(f"nnblocks.distributed needs mpi4py and an MPI library: {EXTRA_HINT} "
                           f"({e})") from None
    return MPI


def init_process_group(backend: str = "mpi", timeout: Any = DEFAULT_TIMEOUT,
                       comm: Any = None) -> None:
    """Join the process group of every process started by ``mpiexec`` (MPI_COMM_WORLD).

    Args:
        backend: ``"mpi"``, the only backend.
        timeout: seconds (or a ``datetime.timedelta``) a collective may make no progress before
            it raises :class:`DistributedError`; also bounds how long a rank waits for a peer
            that died on another host.
        comm: an mpi4py communicator to use instead of ``MPI.COMM_WORLD``.

    Raises:
        ValueError: an unknown backend or a non-positive timeout.
        RuntimeError: mpi4py is not installed (names the extra), or the group already exists.
    """
    global _group
    if backend != "mpi":
        raise ValueError(f"init_process_group: backend must be 'mpi', got {backend!r}")
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if not timeout > 0:
        raise ValueError(f"init_process_group: timeout must be positive seconds, got {timeout}")
    if _group is not None:
        raise RuntimeError("init_process_group: the default process group is already "
                           "initialized; call destroy_process_group() first")
    mpi = _import_mpi()
    _group = _Group(mpi, comm if comm is not None else mpi.COMM_WORLD, float(timeout))
    write_rank_table(_group.monitor)


def destroy_process_group() -> None:
    """Leave the process group (MPI itself is finalized when the process exits)."""
    global _group
    if _group is not None:
        _group.monitor.close()
    _group = None


def is_initialized() -> bool:
    return _group is not None


def _require(who: str) -> _Group:
    if _group is None:
        raise RuntimeError(f"{who}: the default process group is not initialized; call "
                           "nnblocks.distributed.init_process_group() first")
    return _group


def get_rank() -> int:
    """This process's rank, 0 .. world size - 1 (0 when the group is not initialized, so
    rank-0-only code also runs in a single process)."""
    return 0 if _group is None else _group.rank


def get_world_size() -> int:
    """Number of processes (1 when the group is not initialized)."""
    return 1 if _group is None else _group.size


# ---------------------------------------------------------------------- requests
class Work:
    """A started collective (``async_op=True``); :meth:`wait` completes it."""

    def __init__(self, requests: list, what: str, finish: Any = None) -> None:
        self._requests = requests
        self._what = what
        self._finish = finish                # called once after completion (e.g. AVG's divide)
        self.started = time.perf_counter()
        self.completed: float | None = None

    def is_completed(self) -> bool:
        """Test without blocking (also drives MPI's progress of the request)."""
        if self.completed is None and _require("Work").test_requests(self._requests):
            self._complete()
        return self.completed is not None

    def wait(self) -> bool:
        """Block until done, polling; raises :class:`DistributedError` if a peer failed."""
        if self.completed is None:
            _require("Work.wait").wait_requests(self._requests, self._what)
            self._complete()
        return True

    def _complete(self) -> None:
        self.completed = time.perf_counter()
        if self._finish is not None:
            self._finish()


def _buffer(tensor: Any, who: str) -> np.ndarray:
    """The array a collective works on in place: contiguous, of a type MPI reduces."""
    array = tensor.array if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{who}: expected a Tensor or numpy array, got {type(tensor).__name__}")
    if array.dtype not in (np.float32, np.float64, np.int32, np.int64):
        raise TypeError(f"{who}: expected float32, float64, int32 or int64 data, "
                        f"got {array.dtype}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(f"{who}: the buffer must be C-contiguous and writeable (shape "
                         f"{array.shape}, strides {array.strides}); pass np.ascontiguousarray")
    return array


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Any, op: str = ReduceOp.SUM, async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across all ranks, in place, so every rank holds the result.

    ``op``: ``ReduceOp.SUM``, ``AVG`` (sum divided by the world size; floats only) or ``MAX``.
    With ``async_op=True`` returns a :class:`Work` to ``wait()`` on; the buffer must not be
    touched before.
    """
    group = _require("all_reduce")
    array = _buffer(tensor, "all_reduce")
    mpi_op = {ReduceOp.SUM: group.mpi.SUM, ReduceOp.AVG: group.mpi.SUM,
              ReduceOp.MAX: group.mpi.MAX}.get(op)
    if mpi_op is None:
        raise ValueError(f"all_reduce: op must be ReduceOp.SUM, AVG or MAX, got {op!r}")
    finish = None
    if op == ReduceOp.AVG:
        if array.dtype.kind != "f":
            raise TypeError(f"all_reduce: ReduceOp.AVG needs float data, got {array.dtype}")
        size = group.size

        def finish() -> None:
            np.divide(array, size, out=array)
    request = group.start("all_reduce", group.comm.Iallreduce, group.mpi.IN_PLACE, array,
                          op=mpi_op)
    return _finish(Work([request], f"all_reduce of {array.nbytes} bytes", finish), async_op)


def broadcast(tensor: Any, src: int = 0, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into every other rank's ``tensor``, in place."""
    group = _require("broadcast")
    array = _buffer(tensor, "broadcast")
    if not 0 <= src < group.size:
        raise ValueError(f"broadcast: src must be a rank in [0, {group.size}), got {src}")
    request = group.start("broadcast", group.comm.Ibcast, array, root=src)
    return _finish(Work([request], f"broadcast of {array.nbytes} bytes"), async_op)


def all_gather(tensor_list: list, tensor: Any, async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (PyTorch's argument order)."""
    group = _require("all_gather")
    array = _buffer(tensor, "all_gather")
    if len(tensor_list) != group.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} entries, expected "
                         f"the world size {group.size}")
    outputs = [_buffer(t, "all_gather") for t in tensor_list]
    for out in outputs:
        if out.shape != array.shape or out.dtype != array.dtype:
            raise ValueError(f"all_gather: output of shape {out.shape} and dtype {out.dtype} "
                             f"does not match the input's {array.shape} {array.dtype}")
    gathered = np.empty((group.size,) + array.shape, dtype=array.dtype)
    request = group.start("all_gather", group.comm.Iallgather, array, gathered)

    def finish() -> None:
        for r, out in enumerate(outputs):
            out[...] = gathered[r]
    return _finish(Work([request], f"all_gather of {array.nbytes} bytes", finish), async_op)


def barrier() -> None:
    """Wait until every rank has called ``barrier``."""
    group = _require("barrier")
    Work([group.start("barrier", group.comm.Ibarrier)], "barrier").wait()


# ---------------------------------------------------------------------- consistency checks
def check_same(name: str, value: Any) -> None:
    """Raise :class:`DistributedError` on every rank unless all ranks pass equal ``value``.

    ``value`` is compared by a digest of its JSON text (sorted keys), so configs, seeds and
    ``[(name, shape, dtype), ...]`` lists of parameters can be checked before training starts.
    The message names the ranks that differ from rank 0 and shows rank 0's and the first
    differing rank's text (shortened).
    """
    group = _require("check_same")
    text = json.dumps(value, sort_keys=True, default=str)
    digest = np.frombuffer(hashlib.sha256(text.encode()).digest()[:8], dtype=np.int64).copy()
    digests = [np.zeros(1, dtype=np.int64) for _ in range(group.size)]
    all_gather(digests, digest)
    differ = [r for r in range(group.size) if digests[r][0] != digests[0][0]]
    if differ:
        raise DistributedError(
            f"nnblocks.distributed: {name} differs across ranks: ranks {differ} disagree with "
            f"rank 0 (this is rank {group.rank}: {_short(text)})")


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
