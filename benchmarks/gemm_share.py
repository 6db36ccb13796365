"""What fraction of a step is GEMM? A sampling profiler over the running threads' source lines.

A GEMM written ``a @ b`` or ``np.matmul(a, b)`` is not a function call cProfile can see, but
while BLAS runs, the Python frame that called it stays on that line. So a sampler thread wakes
every ``interval`` seconds, looks at the line each other thread is executing
(``sys._current_frames``) and counts it as

- *GEMM* when the source line calls a matrix product (``@``, ``matmul``, ``dot``, ``einsum``,
  ``tensordot``, ``gemm``),
- *idle* when the thread waits (a lock's ``acquire``, or a frame in ``threading``/``queue``):
  nnblocks' pool workers between tasks, the caller waiting for them,
- *other* otherwise (compiled kernels, element-wise NumPy, Python glue).

``share = GEMM / (GEMM + other)``, summed over threads. BLAS and NumPy release the GIL while
they compute, so the sampler gets to run during them; pure-Python stretches hand it the GIL
after the switch interval, which is set to 0.1 ms while sampling. It is an estimate with a
statistical error of about ``sqrt(p (1 - p) / samples)`` (~1% at 2,000 samples).
"""

from __future__ import annotations

import linecache
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

#: a source line that runs a matrix product
GEMM_LINE = re.compile(r"\s@\s|@=|\bmatmul\b|\bdot\(|\beinsum\b|\btensordot\b|\bgemm\b")
_IDLE_FILES = ("threading.py", "queue.py", "selectors.py")


def classify(frame: Any) -> str:
    """``"gemm"``, ``"idle"`` or ``"other"`` for the line a frame is executing."""
    code = frame.f_code
    if code.co_filename.endswith(_IDLE_FILES):
        return "idle"
    if frame.f_lineno is None:
        return "other"
    line = linecache.getline(code.co_filename, frame.f_lineno)
    if ".acquire(" in line:
        return "idle"
    return "gemm" if GEMM_LINE.search(line) else "other"


def gemm_share(step: Callable[[], Any], min_s: float = 1.0, min_steps: int = 3,
               max_steps: int = 500, interval: float = 2e-4) -> dict[str, Any]:
    """Run ``step`` repeatedly (at least ``min_steps`` times and ``min_s`` seconds) while
    sampling; returns ``{"share", "samples", "steps"}`` (share None without samples)."""
    counts = {"gemm": 0, "idle": 0, "other": 0}
    stop = threading.Event()

    def sample() -> None:
        me = threading.get_ident()
        while not stop.is_set():
            time.sleep(interval)
            for tid, frame in sys._current_frames().items():
                if tid != me:
                    counts[classify(frame)] += 1

    switch = sys.getswitchinterval()
    sampler = threading.Thread(target=sample, daemon=True, name="gemm-share-sampler")
    sys.setswitchinterval(1e-4)
    steps = 0
    try:
        sampler.start()
        t0 = time.perf_counter()
        while steps < max_steps and (steps < min_steps or time.perf_counter() - t0 < min_s):
            step()
            steps += 1
    finally:
        stop.set()
        sampler.join()
        sys.setswitchinterval(switch)
    busy = counts["gemm"] + counts["other"]
    return {"share": counts["gemm"] / busy if busy else None, "samples": busy, "steps": steps}
