"""``run.py --busy N``: N single-thread busy-loop processes that hold cores during a run.

Each is a plain Python loop (one thread, no BLAS), started by :class:`BusyLoops` and stopped by
it on exit, also on Ctrl-C or an exception. A loop also stops by itself when its parent is gone
(it polls ``os.getppid()``) or after ``max_s`` seconds, so a killed benchmark never leaves one
spinning on a shared machine.
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

#: the busy loop: spin; every ~10 ms check that the parent lives and the time limit
_LOOP = """
import os, sys, time
parent, deadline = os.getppid(), time.monotonic() + float(sys.argv[1])
while os.getppid() == parent and time.monotonic() < deadline:
    for _ in range(200_000):
        pass
"""


class BusyLoops:
    """Context manager: ``with BusyLoops(1): ...`` runs the body with one core kept busy."""

    def __init__(self, n: int, max_s: float = 4 * 3600.0) -> None:
        if n < 0:
            raise ValueError(f"BusyLoops: n must be >= 0, got {n}")
        self.n = n
        self.max_s = max_s
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> BusyLoops:
        try:
            for _ in range(self.n):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-c", _LOOP, str(self.max_s)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate every loop this object started (kill one that does not exit in 5 s)."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
