"""Find MPICH's ``mpiexec`` (installed with ``pip install "nnblocks[distributed]"``) and build
the command line that starts ``nproc`` copies of a program on this machine.

:func:`run` (also ``python -m nnblocks.distributed.launch -n 2 PROGRAM...``, and what
``nnblocks train --nproc`` uses) supervises the job, like ``torchrun``: it starts
``mpiexec -launcher fork -n N PROGRAM`` (``-launcher fork``: local child processes, no ssh), and
when the job fails it prints **one line per failure**: the lines the ranks wrote (a raising rank
names itself and its error; a rank that saw a peer die names the peer) or, when a rank was
killed before any other could report (MPICH's Hydra kills the remaining ranks at once when one
dies), a line naming that rank, found from Hydra's report of the dead pid and the rank table
rank 0 wrote at :func:`~nnblocks.distributed.init_process_group`.

No MPICH tuning variable is needed for oversubscription (more ranks than cores): nnblocks never
blocks inside MPI, it polls ``MPI_Test`` and sleeps, so a waiting rank gives its core away.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from nnblocks.distributed.faults import FAULT_FILE_ENV
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


def mpiexec_command(nproc: int, program: Sequence[str], mpiexec: str | None = None
                    ) -> list[str]:
    """``mpiexec -launcher fork -n NPROC PROGRAM...`` for one machine."""
    if nproc < 1:
        raise ValueError(f"mpiexec_command: nproc must be at least 1, got {nproc}")
    return [mpiexec or find_mpiexec(), "-launcher", "fork", "-n", str(nproc), *program]


#: Hydra's report of the first process that ended badly
_HYDRA_DEAD = re.compile(r"PID (\d+) RUNNING AT (\S+)")


def run(nproc: int, program: Sequence[str], mpiexec: str | None = None) -> int:
    """Run ``program`` as ``nproc`` MPI ranks on this machine; return mpiexec's exit status.

    The ranks' output passes through. On failure, prints to stderr the one-line reports of
    the ranks (collected through the file named by ``NNBLOCKS_FAULT_FILE``, since Hydra stops
    forwarding output when it kills the job), or one line naming the rank that died.
    """
    command = mpiexec_command(nproc, program, mpiexec)
    with tempfile.TemporaryDirectory(prefix="nnblocks-dist-") as tmp:
        fault_file = Path(tmp) / "faults"
        env = dict(os.environ, **{FAULT_FILE_ENV: str(fault_file)})
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True,
                                bufsize=1)      # same process group: Ctrl-C reaches every rank
        dead: tuple[int, str] | None = None
        try:
            for line in proc.stdout:
                found = _HYDRA_DEAD.search(line)
                if found and dead is None:
                    dead = (int(found.group(1)), found.group(2))
                sys.stdout.write(line)
            proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            return 130
        if proc.returncode != 0:
            for line in _failure_lines(fault_file, dead):
                print(line, file=sys.stderr)
        return proc.returncode


def _failure_lines(fault_file: Path, dead: tuple[int, str] | None) -> list[str]:
    lines = fault_file.read_text().splitlines() if fault_file.exists() else []
    if lines or dead is None:
        return lines
    pid, host = dead
    table = Path(str(fault_file) + ".ranks")
    ranks = {}
    if table.exists():
        for row in table.read_text().splitlines():
            rank, rank_pid, _ = row.split(maxsplit=2)
            ranks[int(rank_pid)] = int(rank)
    who = f"rank {ranks[pid]}" if pid in ranks else "a rank"
    return [f"nnblocks.distributed: {who} (pid {pid} on {host}) died; mpiexec stopped the "
            "other ranks"]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nnblocks.distributed.launch -n N PROGRAM [ARGS...]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nnblocks.distributed.launch")
    parser.add_argument("-n", "--nproc", type=int, required=True)
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.program:
        parser.error("give the program to run, e.g. python train.py")
    return run(args.nproc, args.program)


if __name__ == "__main__":
    sys.exit(main())
