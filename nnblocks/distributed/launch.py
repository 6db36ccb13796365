"""Find MPICH's ``mpiexec`` (installed with ``pip install "nnblocks[distributed]"``) and build
the command line that starts ``nproc`` copies of a program on this machine.

Launcher flags used (MPICH's Hydra):

- ``-launcher fork``: start the ranks as local child processes (no ssh for one machine).
- ``-disable-auto-cleanup``: when a rank dies, Hydra does not kill the others at once but sends
  them ``SIGUSR1``; nnblocks' fault monitor then names the dead rank in one line and every rank
  exits non-zero (see :mod:`nnblocks.distributed.faults`).

No MPICH tuning variable is needed for oversubscription (more ranks than cores): nnblocks never
blocks inside MPI, it polls ``MPI_Test`` and sleeps, so a waiting rank gives its core away.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence

from nnblocks.distributed.process_group import EXTRA_HINT


def find_mpiexec() -> str:
    """Path of ``mpiexec``: next to the running Python (a virtual environment's ``bin``, where
    the ``mpich`` wheel puts it) first, then on ``PATH``.

    Raises:
        RuntimeError: none found (names the extra to install).
    """
    here = os.path.dirname(sys.executable)
    found = shutil.which("mpiexec", path=here) or shutil.which("mpiexec")
    if found is None:
        raise RuntimeError(f"cannot find mpiexec next to {sys.executable} or on PATH: "
                           f"{EXTRA_HINT}")
    return found


def mpiexec_command(nproc: int, program: Sequence[str], mpiexec: str | None = None) -> list[str]:
    """``mpiexec -launcher fork -disable-auto-cleanup -n NPROC PROGRAM...`` for one machine."""
    if nproc < 1:
        raise ValueError(f"mpiexec_command: nproc must be at least 1, got {nproc}")
    return [mpiexec or find_mpiexec(), "-launcher", "fork", "-disable-auto-cleanup",
            "-n", str(nproc), *program]
