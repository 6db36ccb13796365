"""Failure detection for the process group: a dead or raising rank stops the others, in bounded
time, with one line naming it, instead of leaving them blocked in a collective forever.

Three signals, checked by every wait of :mod:`nnblocks.distributed` (which polls the request
with ``MPI_Test`` instead of blocking inside MPI):

1. **Notices.** A rank that raises calls :func:`notify_failure` (done for you by
   :func:`abort_on_error`): it sends a short text (``"ValueError: ..."``) to every other rank on a
   private communicator. Peers receive it at their next wait and raise
   :class:`DistributedError` naming the rank and its error.
2. **Liveness.** Ranks exchange ``(host, pid)`` at :func:`init_process_group`; a wait checks
   every half second whether the peers on its own host still exist (``kill(pid, 0)``, zombies
   count as dead). MPICH's Hydra launcher started with ``-disable-auto-cleanup`` also sends
   ``SIGUSR1`` to the survivors when a rank dies, which triggers the same check at once. (With
   Hydra's default cleanup the launcher kills every rank itself as soon as one dies: bounded
   too, but then the launcher's banner, not nnblocks, names the process.)
3. **Timeout.** A wait that makes no progress for ``timeout`` seconds (default 60, the
   ``timeout=`` of :func:`init_process_group`) raises, naming the peers known dead or, on other
   hosts, saying that they could not be checked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

NOTICE_TAG = 7321                 # tag of failure notices on the private communicator
NOTICE_BYTES = 512                # a notice is at most this much UTF-8 text
LIVENESS_PERIOD = 0.5             # seconds between checks of the local peers' pids
EXIT_GRACE = 0.5                  # seconds a failing rank waits after printing its line


class DistributedError(RuntimeError):
    """A collective could not complete: another rank failed, died, or did not answer in time."""


#: the monitor of this process's initialized process group (one at a time), or None: set and
#: cleared by :class:`FaultMonitor` itself so this module needs nothing from process_group
_current: list[FaultMonitor] = []


class FaultMonitor:
    """What a waiting rank checks: notices from peers, the local peers' pids, SIGUSR1."""

    def __init__(self, mpi: Any, comm: Any, timeout: float) -> None:
        self.mpi = mpi
        self.comm = comm.Dup()                         # notices never mix with collectives
        self.comm.Set_errhandler(mpi.ERRORS_RETURN)
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = float(timeout)
        self.signalled = False
        self._last_check = 0.0
        host = socket.gethostname().encode()[:63]
        mine = np.zeros(72, dtype=np.uint8)
        mine[:8] = np.frombuffer(np.int64(os.getpid()).tobytes(), dtype=np.uint8)
        mine[8:8 + len(host)] = np.frombuffer(host, dtype=np.uint8)
        table = np.zeros((self.size, 72), dtype=np.uint8)
        comm.Allgather(mine, table)
        self.pids = [int(np.frombuffer(row[:8].tobytes(), dtype=np.int64)[0]) for row in table]
        self.hosts = [row[8:].tobytes().rstrip(b"\0").decode(errors="replace") for row in table]
        self._previous_handler = None
        with contextlib.suppress(ValueError):          # only the main thread may set handlers
            self._previous_handler = signal.signal(signal.SIGUSR1, self._on_signal)
        _current[:] = [self]

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signalled = True                          # checked by the next poll of a wait

    def close(self) -> None:
        if _current == [self]:
            _current.clear()
        if self._previous_handler is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGUSR1, self._previous_handler)
        with contextlib.suppress(Exception):
            self.comm.Free()

    # ------------------------------------------------------------------ detection
    def check(self, what: str, started: float) -> None:
        """Raise :class:`DistributedError` if a peer has reported, died, or ``timeout`` passed."""
        notice = self._receive_notice_safely()
        if notice is not None:
            source, text = notice
            raise DistributedError(self._line(f"rank {source} failed ({text})", what))
        now = time.monotonic()
        if self.signalled or now - self._last_check > LIVENESS_PERIOD:
            self._last_check = now
            dead = self.dead_peers()
            if dead:
                raise DistributedError(self._line(f"{self._describe(dead)} died", what))
        if now - started > self.timeout:
            remote = [r for r in range(self.size) if self.hosts[r] != self.hosts[self.rank]]
            hint = (f"ranks {remote} on other hosts could not be checked" if remote
                    else "every local rank is alive: one is stuck or far behind")
            raise DistributedError(self._line(
                f"no progress for {self.timeout:g} s ({hint})", what))

    def explain(self, what: str, error: Exception) -> None:
        """MPI itself failed: raise :class:`DistributedError` naming a dead peer if one is."""
        time.sleep(LIVENESS_PERIOD)                    # give a dying peer time to be gone
        notice = self._receive_notice_safely()
        if notice is not None:
            cause = f"rank {notice[0]} failed ({notice[1]})"
        else:
            dead = self.dead_peers()
            cause = f"{self._describe(dead)} died" if dead else f"MPI error: {error}"
        raise DistributedError(self._line(cause, what)) from None

    def _receive_notice_safely(self) -> tuple[int, str] | None:
        try:
            return self._receive_notice()
        except self.mpi.Exception:
            return None

    def _line(self, cause: str, what: str) -> str:
        return f"nnblocks.distributed: rank {self.rank} stopping: {cause}, during {what}"

    def _describe(self, ranks: list[int]) -> str:
        return ", ".join(f"rank {r} (pid {self.pids[r]} on {self.hosts[r]})" for r in ranks)

    def dead_peers(self) -> list[int]:
        """Peers on this host whose process is gone (or a zombie)."""
        here = self.hosts[self.rank]
        return [r for r in range(self.size)
                if r != self.rank and self.hosts[r] == here and not _alive(self.pids[r])]

    def _receive_notice(self) -> tuple[int, str] | None:
        status = self.mpi.Status()
        if not self.comm.Iprobe(source=self.mpi.ANY_SOURCE, tag=NOTICE_TAG, status=status):
            return None
        buffer = np.zeros(NOTICE_BYTES, dtype=np.uint8)
        source = status.Get_source()
        self.comm.Recv(buffer, source=source, tag=NOTICE_TAG)
        return source, buffer.tobytes().rstrip(b"\0").decode(errors="replace")

    # ------------------------------------------------------------------ reporting
    def notify(self, text: str, grace: float = 2.0) -> None:
        """Send ``text`` to every other rank; give the sends ``grace`` seconds to leave."""
        data = text.encode()[:NOTICE_BYTES - 1]
        buffer = np.zeros(NOTICE_BYTES, dtype=np.uint8)
        buffer[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        requests = [self.comm.Isend(buffer, dest=r, tag=NOTICE_TAG)
                    for r in range(self.size) if r != self.rank]
        deadline = time.monotonic() + grace
        while requests and not self.mpi.Request.Testall(requests):
            if time.monotonic() > deadline:
                break
            time.sleep(1e-3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                            # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True                                    # no /proc: trust kill()
    return state not in ("Z", "X")


@contextlib.contextmanager
def abort_on_error(exit_code: int = 1, show_traceback: bool = True) -> Iterator[None]:
    """Run a distributed program's body so that a failure stops every rank, never a hang.

    A :class:`DistributedError` (a peer failed) prints its one line to stderr; any other
    exception is reported to the peers (they stop with a line naming this rank), printed with
    its traceback (unless ``show_traceback=False``), and the process exits with ``exit_code``
    at once (``os._exit``: MPI's
    finalization would wait for the ranks that are gone). Without an initialized process group
    exceptions pass through unchanged.
    """
    try:
        yield
    except BaseException as error:
        monitor = _current[0] if _current else None
        if monitor is None or isinstance(error, SystemExit) and not error.code:
            raise
        if isinstance(error, DistributedError):
            _report(str(error))
        else:
            summary = f"{type(error).__name__}: {' '.join(str(error).split())}"
            monitor.notify(summary)
            if show_traceback:
                traceback.print_exc()
            _report(f"nnblocks.distributed: rank {monitor.rank} failed: {summary}")
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(EXIT_GRACE)             # let the launcher forward the line before we vanish
        os._exit(exit_code)


#: environment variable naming a file to which failure lines are also appended: the launcher of
#: ``nnblocks train --nproc`` reads it, because MPICH's launcher may end the job (and stop
#: forwarding the ranks' output) before a surviving rank has printed its line
FAULT_FILE_ENV = "NNBLOCKS_FAULT_FILE"


def _report(line: str) -> None:
    """Print ``line`` to stderr, or append it to the launcher's fault file when there is one."""
    path = os.environ.get(FAULT_FILE_ENV)
    if not path:
        print(line, file=sys.stderr)
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def write_rank_table(monitor: FaultMonitor) -> None:
    """Rank 0 writes ``rank pid host`` lines to ``<fault file>.ranks`` for the launcher, which
    watches the pids to name the rank that disappeared first."""
    path = os.environ.get(FAULT_FILE_ENV)
    if not path or monitor.rank != 0:
        return
    text = "".join(f"{r} {pid} {host}\n"
                   for r, (pid, host) in enumerate(zip(monitor.pids, monitor.hosts)))
    with contextlib.suppress(OSError):
        with open(path + ".ranks.tmp", "w") as f:
            f.write(text)
        os.replace(path + ".ranks.tmp", path + ".ranks")


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` (on this host) exists and is not a zombie."""
    return _alive(pid)
