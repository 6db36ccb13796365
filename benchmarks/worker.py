"""A benchmark worker: one framework at one thread setting, in a process of its own.

Why a process per framework and thread setting:

- BLAS libraries read their thread count (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
  ``MKL_NUM_THREADS``) once, when they load; the parent sets these before starting the worker,
  so both frameworks are limited alike and nothing has to be changed after NumPy is imported.
- Memory: the worker's resident set (RSS) holds only its own framework. Peak memory of a case is
  the high-water mark of RSS while the case runs minus RSS just before the case builds its model
  (see :func:`reset_peak`), which counts NumPy's and PyTorch's allocations the same way
  (tracemalloc sees only NumPy's).

The parent talks to the worker in JSON lines: a command on stdin, one reply on the worker's
original stdout (anything the libraries print goes to stderr). Commands: ``info``,
``setup`` (build the case, run warm-up steps), ``repeat`` (run timed steps),
``gemm_share`` (nnblocks: the fraction of a step spent in GEMMs, :mod:`benchmarks.gemm_share`),
``teardown`` (report peak memory, free the case), ``exit``.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from typing import Any, TextIO

from benchmarks.cases import FRAMEWORKS, find_case, missing_names, setup, warm_up_runtime

MIB = 1024.0 * 1024.0


# ---------------------------------------------------------------------- memory
def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (VmRSS, VmHWM), or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) to the current RSS (Linux ≥ 4.0).

    Without it the high-water mark would include whatever peak an earlier case (or an import)
    reached; in a fresh process per case that is harmless, which is the fallback.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def rss_mib() -> float | None:
    kib = _status_kib("VmRSS")
    return None if kib is None else kib / 1024.0


def peak_rss_mib() -> float:
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib / 1024.0
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / MIB if sys.platform == "darwin" else maxrss / 1024.0   # bytes vs KiB


# ---------------------------------------------------------------------- what is running
def blas_info() -> list[dict[str, Any]]:
    """Native thread pools in this process (BLAS, OpenMP) and their kernels and thread counts.

    From threadpoolctl when it is installed (it names OpenBLAS's kernel, e.g. SkylakeX vs
    Haswell, which changes skinny-GEMM speed by 10–60%), else from ``numpy.show_config``.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        import numpy as np

        blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        return [{"internal_api": blas.get("name", "?"), "version": blas.get("version", "?"),
                 "architecture": "unknown (install threadpoolctl to see it)",
                 "num_threads": None}]
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def framework_info(name: str) -> dict[str, Any]:
    import numpy as np

    info: dict[str, Any] = {"framework": name, "pid": os.getpid(), "numpy": np.__version__,
                            "torch_loaded": "torch" in sys.modules}
    if name == "pytorch":
        import torch

        config = torch.__config__.show()
        blas = [part.split("=", 1)[1] for part in config.replace(",", " ").split()
                if part.startswith("BLAS_INFO=")]
        info.update(version=torch.__version__, threads=torch.get_num_threads(),
                    interop_threads=torch.get_num_interop_threads(),
                    blas=blas[0] if blas else "?",
                    onednn=bool(torch.backends.mkldnn.is_available()))
    else:
        import nnblocks
        import nnblocks.kernels as kernels
        from nnblocks.kernels import threads

        kernels.pad_heap()                         # what `nnblocks train` and fit() do

        if kernels.numba_enabled():
            import numba

            compiled = f"numba {numba.__version__}, {threads.get_num_threads()} threads"
        else:
            compiled = "off (NumPy reference path)"
        info.update(version=nnblocks.__version__, compiled=compiled)
    return info


# ---------------------------------------------------------------------- the worker
class Worker:
    """Holds at most one case at a time: built by ``setup``, timed by ``repeat``."""

    def __init__(self, framework: str, threads: str) -> None:
        self.fw = FRAMEWORKS[framework]
        self.threads = threads
        if framework == "pytorch" and threads != "default":
            import torch

            torch.set_num_threads(int(threads))           # OMP_NUM_THREADS is set as well
        self.fw.module()                                    # import the framework now
        if framework == "nnblocks":
            import nnblocks.kernels

            # what `nnblocks train` and fit() do; in every worker (it used to be called only
            # by the ``info`` command, i.e. in the first worker of a thread setting)
            nnblocks.kernels.pad_heap()
        warm_up_runtime(self.fw)                            # its runtime memory is not a case's
        self.state: dict[str, Any] | None = None

    def handle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        op = cmd["cmd"]
        if op == "info":
            return {**framework_info(self.fw.name), "pools": blas_info()}
        if op == "setup":
            return self.setup(cmd["case"], cmd.get("warmup", 1))
        if op == "repeat":
            return self.repeat(cmd["steps"])
        if op == "gemm_share":
            from benchmarks.gemm_share import gemm_share

            if self.state is None:
                raise RuntimeError("gemm_share before a successful setup")
            return gemm_share(self.state["step"], min_s=cmd.get("seconds", 1.0))
        if op == "teardown":
            return self.teardown()
        raise ValueError(f"unknown worker command {op!r}")

    def setup(self, key: str, warmup: int) -> dict[str, Any]:
        case = find_case(key)
        missing = missing_names(self.fw, case)
        if missing:
            return {"available": False, "reason": "missing " + ", ".join(missing)}
        gc.collect()
        reset = reset_peak()
        base = rss_mib()
        if base is None:
            base = peak_rss_mib()
        model, step = setup(self.fw, case)
        self.state = {"model": model, "step": step, "base": base, "reset": reset}
        times = self._run(warmup)
        return {"available": True, "warmup_ms": times["times_ms"], "loss": times["loss"]}

    def repeat(self, steps: int) -> dict[str, Any]:
        if self.state is None:
            raise RuntimeError("repeat before a successful setup")
        return self._run(steps)

    def _run(self, steps: int) -> dict[str, Any]:
        step = self.state["step"]
        times = []
        out = None
        for _ in range(steps):
            t0 = time.perf_counter()
            out = step()
            times.append((time.perf_counter() - t0) * 1e3)
        loss = None
        if out is not None and getattr(out, "ndim", 1) == 0:
            loss = float(out.item())
        return {"times_ms": times, "loss": loss}

    def teardown(self) -> dict[str, Any]:
        if self.state is None:
            return {"peak_mib": None}
        peak = peak_rss_mib() - self.state["base"]
        method = "VmHWM reset" if self.state["reset"] else "VmHWM/ru_maxrss, no reset"
        self.state = None
        gc.collect()
        return {"peak_mib": peak, "memory_method": method, "pools": blas_info()}


def serve(framework: str, threads: str, commands: TextIO = sys.stdin) -> int:
    """The worker's main loop: one JSON reply per JSON command, until ``exit`` or EOF."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                                           # stray prints go to stderr
    worker = Worker(framework, threads)
    for line in commands:
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            break
        try:
            reply = {"ok": True, **worker.handle(cmd)}
        except Exception as exc:  # reported to the parent, which goes on
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            worker.state = None
        replies.write(json.dumps(reply) + "\n")
    return 0
