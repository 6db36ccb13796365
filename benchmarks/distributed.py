"""Data-parallel throughput on MPI: 1 and 2 processes (1 thread each), and an all-reduce sweep.

    python benchmarks/distributed.py                  # cases mlp,cnn at P = 1, 2 + the sweep
    python benchmarks/distributed.py --cases cnn --steps 40 --json /tmp/dist.json
    python benchmarks/allreduce_model.py /tmp/dist.json   # the α–β prediction for 2..256 ranks

Run from the repository root. Each measurement is its own ``mpiexec`` job (started through
``nnblocks.distributed.launch``) with ``OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS=1``; a job runs the
cases of :mod:`benchmarks.cases` wrapped in ``DistributedDataParallel``.

What is reported, per case and P:

- **samples/s**: P × (per-process batch) / median step time. Weak scaling: every process keeps
  the case's batch (as in PyTorch's DDP benchmarks), so P processes train on P× the samples
  per step.
- **efficiency**: samples/s at P divided by P × samples/s at 1 (1.0 = perfect scaling).
- **comm wait**: the median time per step spent blocked in the final wait for the last
  buckets' all-reduce (what communication costs beyond the overlap with backward, including
  waiting for a slower rank), and its share of the step.
- **overlapped buckets**: buckets whose all-reduce started before the last gradient of the
  backward pass was ready (the fewest over the timed steps), out of all buckets. With the
  default 25 MB both models fit one bucket, so nothing can overlap; ``--bucket-cap-mb 0.25``
  splits them.

The sweep times ``all_reduce`` (float32 SUM, in place) of 1 KB .. 64 MB between 2 processes
and fits the ring model T(n) = 2(P-1)·α + 2(P-1)/P · n·β (α latency per message, β seconds per
byte), whose parameters ``allreduce_model.py`` uses. On a shared 2-core machine every number
is noisy: rerun on a quiet machine for numbers to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SWEEP_BYTES = tuple(1024 * 4 ** k for k in range(9))           # 1 KB .. 64 MB
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


# ---------------------------------------------------------------------- inside mpiexec
def worker(args: argparse.Namespace) -> None:
    import nnblocks.distributed as dist
    from benchmarks.cases import NNBLOCKS, build_model, find_case, make_data, make_optimizer
    from nnblocks.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    results: dict[str, Any] = {"world": world, "cases": {}}
    for key in filter(None, args.cases.split(",")):
        case = find_case(key)
        NNBLOCKS.seed(0)
        model = DistributedDataParallel(build_model(NNBLOCKS, case),
                                        bucket_cap_mb=args.bucket_cap_mb)
        data = make_data(case, seed=rank)                      # each rank its own batch
        x, y = NNBLOCKS.tensor(data["x"]), NNBLOCKS.tensor(data["y"])
        loss_fn = NNBLOCKS.nn.CrossEntropyLoss()
        opt = make_optimizer(NNBLOCKS, case, model)
        times, waits, overlapped = [], [], []
        for step in range(args.warmup + args.steps):
            dist.barrier()                                     # steps start together
            started = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            if step >= args.warmup:
                times.append(time.perf_counter() - started)
                waits.append(model.timings["wait_seconds"])
                last_ready = model.timings["last_grad_ready"]
                overlapped.append(sum(t < last_ready for t in model.timings["bucket_started"]))
        step_time = np.array([statistics.median(times)])
        dist.all_reduce(step_time, dist.ReduceOp.MAX)          # the slowest rank sets the pace
        results["cases"][key] = {
            "batch_per_process": case.batch,
            "step_seconds": float(step_time[0]),
            "samples_per_second": world * case.batch / float(step_time[0]),
            "comm_wait_seconds": statistics.median(waits),
            "gradient_bytes": sum(p.array.nbytes for p in model.parameters()),
            "buckets": len(model._buckets),
            "buckets_started_during_backward": min(overlapped) if overlapped else 0,
        }
    if args.sweep and world > 1:
        results["sweep"] = sweep(dist)
    if rank == 0:
        Path(args.out).write_text(json.dumps(results, indent=2))
    dist.barrier()


def sweep(dist: Any) -> list[dict[str, float]]:
    rows = []
    for nbytes in SWEEP_BYTES:
        buffer = np.ones(nbytes // 4, dtype=np.float32)
        repeats = max(3, min(200, int(2e7 // nbytes)))
        times = []
        for _ in range(repeats):
            dist.barrier()
            started = time.perf_counter()
            dist.all_reduce(buffer)
            times.append(time.perf_counter() - started)
        rows.append({"bytes": nbytes, "seconds": statistics.median(times)})
    return rows


# ---------------------------------------------------------------------- driver
def fit_alpha_beta(rows: list[dict[str, float]], world: int = 2) -> tuple[float, float]:
    """Least squares of T = 2(P-1)·α + 2(P-1)/P·n·β over the sweep; returns (α, β)."""
    n = np.array([r["bytes"] for r in rows], dtype=np.float64)
    t = np.array([r["seconds"] for r in rows], dtype=np.float64)
    design = np.stack([np.full_like(n, 2 * (world - 1)), 2 * (world - 1) / world * n], axis=1)
    weights = 1.0 / t                                       # relative error: small sizes count
    (alpha, beta), *_ = np.linalg.lstsq(design * weights[:, None], t * weights, rcond=None)
    return float(max(alpha, 0.0)), float(max(beta, 0.0))


def launch(world: int, cases: str, steps: int, warmup: int, sweep_too: bool,
           bucket_cap_mb: float) -> dict[str, Any]:
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "nnblocks.distributed.launch", "-n", str(world),
                   sys.executable, "-m", "benchmarks.distributed", "--worker", "--cases", cases,
                   "--steps", str(steps), "--warmup", str(warmup), "--out", str(out),
                   "--bucket-cap-mb", str(bucket_cap_mb)]
        if sweep_too:
            command.append("--sweep")
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=1800)
        return json.loads(out.read_text())


def report(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"cases": {}}
    print(f"{'case':6} {'P':>2} {'step ms':>8} {'samples/s':>10} {'efficiency':>10} "
          f"{'comm wait ms':>12} {'wait share':>10} {'overlapped buckets':>18}")
    for key in runs[1]["cases"]:
        base = runs[1]["cases"][key]["samples_per_second"]
        for world, run in sorted(runs.items()):
            row = run["cases"][key]
            efficiency = row["samples_per_second"] / (world * base)
            share = row["comm_wait_seconds"] / row["step_seconds"]
            row.update(efficiency=efficiency, comm_wait_share=share)
            print(f"{key:6} {world:>2} {row['step_seconds'] * 1e3:8.1f} "
                  f"{row['samples_per_second']:10.0f} {efficiency:10.2f} "
                  f"{row['comm_wait_seconds'] * 1e3:12.2f} {share:10.1%} "
                  f"{row['buckets_started_during_backward']:>8}/{row['buckets']}")
        summary["cases"][key] = {world: run["cases"][key] for world, run in runs.items()}
    sweep_rows = runs[max(runs)].get("sweep")
    if sweep_rows:
        alpha, beta = fit_alpha_beta(sweep_rows)
        print("\nall_reduce, 2 processes (loopback / shared memory):")
        for r in sweep_rows:
            rate = r["bytes"] / r["seconds"] / 1e9
            print(f"  {r['bytes'] / 1024:>8.0f} KB  {r['seconds'] * 1e6:10.1f} µs  "
                  f"{rate:6.2f} GB/s")
        print(f"ring fit: alpha = {alpha * 1e6:.1f} µs, beta = {beta * 1e9:.3f} ns/byte "
              f"({1 / beta / 1e9 if beta else float('inf'):.2f} GB/s)")
        summary.update(sweep=sweep_rows, alpha=alpha, beta=beta)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="mlp,cnn")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0,
                        help="DDP bucket size (25: one bucket for these models; try 0.25)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sweep", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    worlds = [int(p) for p in args.processes.split(",")]
    runs = {w: launch(w, args.cases, args.steps, args.warmup, not args.no_sweep and w == 2,
                      args.bucket_cap_mb) for w in worlds}
    summary = report(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
