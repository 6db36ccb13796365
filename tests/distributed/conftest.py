"""Launch real ``mpiexec`` runs (MPICH from the pip wheel) from tests, with a hard timeout.

Every launch starts a new process group (session) and, on timeout, kills that whole group, so a
stuck rank can never hang the suite. Tests skip only when mpi4py or mpiexec is absent, and
refuse to skip when ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_mpi() -> str:
    """The mpiexec to use; skip (or fail in CI) when MPI is not installed."""
    try:
        import mpi4py  # noqa: F401

        from nnblocks.distributed.launch import find_mpiexec

        return find_mpiexec()
    except (ImportError, RuntimeError) as e:
        if in_ci():
            raise
        pytest.skip(f"MPI not installed: {e}")


def mpi_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OMP_NUM_THREADS"] = "1"                  # one thread per rank: ranks share 2 cores
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    env["NUMBA_NUM_THREADS"] = "1"
    return env


def run_command(command: list[str], timeout: float, cwd: Path | None = None
                ) -> subprocess.CompletedProcess:
    """Run ``command`` in its own session; on timeout kill the session's process group."""
    proc = subprocess.Popen(command, cwd=cwd or ROOT, env=mpi_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(command[:8])}... did not finish in {timeout} s\n"
                    f"stdout: {out[-2000:]}\nstderr: {err[-2000:]}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def mpirun(nproc: int, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """``python ARGS...`` as ``nproc`` ranks, supervised by ``nnblocks.distributed.launch``
    (mpiexec from the installed MPICH; failure lines on stderr)."""
    require_mpi()
    launcher = [sys.executable, "-m", "nnblocks.distributed.launch", "-n", str(nproc)]
    return run_command([*launcher, sys.executable, *args], timeout)
