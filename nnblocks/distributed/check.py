"""Check that every rank of an MPI job can reach the others: ``mpiexec -f hosts -n 4 python -m
nnblocks.distributed.check``.

Each rank reports its host; then an ``all_reduce`` of known values is verified and a 16 MB
all-reduce is timed. Rank 0 prints one line per rank and a summary; the exit status is 0 only
if the sums are right. A rank that cannot connect makes the job fail at startup (MPICH prints
which host) or, later, stop within the timeout (nnblocks.distributed.faults).
"""

from __future__ import annotations

import socket
import sys
import time

import numpy as np

from nnblocks import distributed as dist


def main() -> int:
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    host = np.zeros(64, dtype=np.int64)
    name = socket.gethostname().encode()[:63]
    host[:len(name)] = np.frombuffer(name, dtype=np.uint8)
    hosts = [np.zeros(64, dtype=np.int64) for _ in range(world)]
    dist.all_gather(hosts, host)
    values = np.arange(4, dtype=np.float64) + rank
    dist.all_reduce(values)
    expected = world * np.arange(4) + world * (world - 1) / 2
    ok = bool(np.array_equal(values, expected))
    verdict = np.array([0 if ok else 1], dtype=np.int64)
    dist.all_reduce(verdict, dist.ReduceOp.MAX)
    big = np.ones(4 * 2**20, dtype=np.float32)             # 16 MB
    dist.barrier()
    started = time.perf_counter()
    dist.all_reduce(big)
    seconds = time.perf_counter() - started
    if rank == 0:
        for r, h in enumerate(hosts):
            name = bytes(h.astype(np.uint8)).rstrip(b"\0").decode(errors="replace")
            print(f"rank {r}: {name}")
        status = "ok" if verdict[0] == 0 else "WRONG SUMS"
        print(f"all_reduce across {world} ranks: {status}; 16 MB in {seconds * 1e3:.1f} ms "
              f"({16 * 2**20 / seconds / 1e9:.2f} GB/s algorithm bandwidth)")
    dist.barrier()
    dist.destroy_process_group()
    return int(verdict[0])


if __name__ == "__main__":
    sys.exit(main())
