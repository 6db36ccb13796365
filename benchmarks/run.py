"""nnblocks against PyTorch on CPU: the benchmark suite of issue 6 (see benchmarks/README.md).

    python benchmarks/run.py                  # every case, default and 1 thread (~10+ minutes)
    python benchmarks/run.py --quick          # a smoke run in under a minute (not for comparison)
    python benchmarks/run.py --cases 2,3 --threads 1 --json /tmp/r.json

For each thread setting, each case runs in one worker process per framework (thread limits set
in the environment before NumPy or PyTorch load; memory measured per process). First a parity
check: PyTorch's initial weights are loaded into the nnblocks model and both run the same step;
a divergence is printed as a warning. Then warm-up steps, then ``--repeats`` repeats of
``--steps`` timed steps, alternating the frameworks repeat by repeat so that a change in machine
load hits both alike. Prints a Markdown table and writes a JSON file.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.busy import BusyLoops  # noqa: E402
from benchmarks.cases import (  # noqa: E402
    CASES,
    QUICK_SWEEP,
    SWEEP_GRID,
    SWEEP_POINTS,
    Case,
    find_case,
    sweep_case,
)

#: environment variables that limit native thread pools: BLAS (OpenBLAS, MKL, Accelerate),
#: OpenMP (PyTorch, numba) and nnblocks' own pool if it has one
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS",
              "NNBLOCKS_NUM_THREADS")


@dataclasses.dataclass
class Plan:
    """How much to run: fixed steps, or (``--quick``) as many as fit in a time budget."""

    warmup: int
    steps: int
    repeats: int
    quick: bool
    timeout_s: float
    budget_ms: float = 400.0           # timed work per framework and case (quick: 400 ms)
    min_steps: int = 2                 # per repeat, whatever the budget
    gemm_s: float = 0.0                # seconds of GEMM-share sampling per case (0: off)

    def steps_for(self, step_ms: float) -> int:
        """``--steps``, fewer when ``repeats × steps`` would exceed the budget (never fewer
        than ``min_steps``): a full run stays bounded in time whatever the cases cost."""
        fit = int(self.budget_ms / (self.repeats * max(step_ms, 1e-3)))
        return max(min(self.min_steps, self.steps), min(self.steps, fit))


class WorkerError(RuntimeError):
    """A worker failed a command, timed out or died."""


class WorkerProcess:
    """A ``benchmarks.worker`` process for one framework at one thread setting."""

    def __init__(self, framework: str, threads: str) -> None:
        env = dict(os.environ)
        if threads != "default":
            env.update({k: threads for k in THREAD_ENV})
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from benchmarks.worker import serve; "
             "sys.exit(serve(sys.argv[1], sys.argv[2]))", framework, threads],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            cwd=ROOT, env=env)
        self.buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _stderr_tail(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])

    def request(self, cmd: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        try:
            self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"worker exited: {self._stderr_tail()}") from None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.close()
                raise WorkerError(f"timed out after {timeout_s:.0f} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise WorkerError(f"worker exited: {self._stderr_tail()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        reply = json.loads(line)
        if not reply.pop("ok"):
            raise WorkerError(reply["error"])
        return reply

    def close(self) -> None:
        """Ask the worker to exit (kill it if it does not within 10 s); close the pipes."""
        if self.alive():
            try:
                self.proc.stdin.write(b'{"cmd": "exit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                f.close()
            except OSError:                        # a broken pipe while flushing on close
                pass


# ---------------------------------------------------------------------- one case
def run_case(case: Case, threads: str, workers: dict[str, WorkerProcess],
             plan: Plan) -> dict[str, Any]:
    """Warm up and time ``case`` in every worker; returns the row for the table and JSON."""
    res: dict[str, dict[str, Any]] = {}
    for fw, w in workers.items():
        try:
            reply = w.request({"cmd": "setup", "case": case.key, "warmup": plan.warmup},
                              plan.timeout_s)
        except WorkerError as exc:
            res[fw] = {"status": "error", "reason": str(exc)}
            continue
        if not reply["available"]:
            res[fw] = {"status": "not available", "reason": reply["reason"]}
        else:
            res[fw] = {"status": "ok", "warmup_ms": reply["warmup_ms"], "repeats_ms": []}
    running = [fw for fw in workers if res[fw]["status"] == "ok"]
    step_ms = max((res[fw]["warmup_ms"][-1] for fw in running if res[fw]["warmup_ms"]),
                  default=1.0)
    steps = plan.steps_for(step_ms)
    for r in range(plan.repeats):
        for fw in running if r % 2 == 0 else running[::-1]:
            if res[fw]["status"] != "ok":
                continue
            try:
                reply = workers[fw].request({"cmd": "repeat", "steps": steps}, plan.timeout_s)
            except WorkerError as exc:
                res[fw] = {"status": "error", "reason": str(exc)}
                continue
            res[fw]["repeats_ms"].append(reply["times_ms"])
            res[fw]["final_loss"] = reply["loss"]
    for fw in running:
        if res[fw]["status"] == "ok":
            try:
                if fw == "nnblocks" and plan.gemm_s > 0:
                    share = workers[fw].request({"cmd": "gemm_share", "seconds": plan.gemm_s},
                                                plan.timeout_s)
                    res[fw]["gemm_share"] = share["share"]
                    res[fw]["gemm_samples"] = share["samples"]
                reply = workers[fw].request({"cmd": "teardown"}, plan.timeout_s)
            except WorkerError as exc:
                res[fw] = {"status": "error", "reason": str(exc)}
                continue
            res[fw].update(report.summarize(res[fw].pop("repeats_ms"), case.items),
                           peak_mib=reply["peak_mib"], memory_method=reply["memory_method"])
            res[fw]["pools"] = reply["pools"]
    row = {"case": case.key, "number": case.number, "title": case.title, "kind": case.kind,
           "batch": case.batch, "image": case.image, "unit": case.unit, "threads": threads,
           "frameworks": res}
    nb, pt = res.get("nnblocks", {}), res.get("pytorch", {})
    if nb.get("status") == "ok" and pt.get("status") == "ok":
        row["ratio"] = nb["median_ms"] / pt["median_ms"]
        if nb["peak_mib"] is not None and pt["peak_mib"]:
            row["mem_ratio"] = nb["peak_mib"] / pt["peak_mib"]
    return row


# ---------------------------------------------------------------------- the whole run
def select_cases(spec: str, quick: bool, sweep: str) -> list[Case]:
    """Cases from ``--cases``: numbers 1-18, keys (``cnn_bn``, ``sweep_b64_i56``) or ``all``."""
    points = QUICK_SWEEP if quick else (SWEEP_GRID if sweep == "grid" else SWEEP_POINTS)
    cases: list[Case] = []
    for token in spec.replace(" ", "").split(","):
        if token == "all":
            cases += list(CASES) + [sweep_case(b, s) for b, s in points]
        elif token == "7":
            cases += [sweep_case(b, s) for b, s in points]
        elif token.isdigit():
            cases += [c for c in CASES if c.number == int(token)]
            if not 1 <= int(token) <= max(c.number for c in CASES):
                raise SystemExit(f"run.py: no case number {token}; cases are 1-"
                                 f"{max(c.number for c in CASES)}")
        else:
            try:
                cases.append(find_case(token))
            except (KeyError, ValueError) as exc:
                raise SystemExit(f"run.py: {exc}") from None
    return list(dict.fromkeys(cases))


def parity_cases(cases: list[Case]) -> list[Case]:
    """One parity check per distinct model shape; sweep points at batch ≤ 16 (shape-only)."""
    out = {}
    for case in cases:
        if case.number == 7:
            case = dataclasses.replace(case, batch=min(case.batch, 16))
            out.setdefault(f"cnn_i{case.image}", case)
        else:
            out.setdefault(case.key, case)
    return list(out.values())


def run_parity(cases: list[Case]) -> dict[str, Any]:
    from benchmarks.parity import check_parity

    out = {}
    for case in parity_cases(cases):
        from benchmarks.cases import NNBLOCKS, missing_names

        missing = missing_names(NNBLOCKS, case)
        if missing:
            out[case.key] = {"status": "not available", "ok": None,
                             "reason": "missing " + ", ".join(missing)}
            continue
        try:
            out[case.key] = check_parity(case)
        except Exception as exc:  # a bug in a layer must not stop the run
            out[case.key] = {"status": "error", "ok": False,
                             "reason": f"{type(exc).__name__}: {exc}"}
        if not out[case.key]["ok"]:
            detail = "; ".join(out[case.key].get("messages", [])) or out[case.key]["reason"]
            print(f"WARNING: nnblocks and PyTorch diverge on {case.key}: {detail}",
                  file=sys.stderr)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    cases = select_cases(args.cases, args.quick, args.sweep)
    frameworks = [f for f in args.frameworks.split(",") if f]
    if "pytorch" in frameworks and importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: timing nnblocks alone", file=sys.stderr)
        frameworks.remove("pytorch")
    plan = Plan(warmup=args.warmup, steps=args.steps, repeats=args.repeats, quick=args.quick,
                timeout_s=args.timeout, budget_ms=args.budget * 1e3,
                min_steps=2 if args.quick else 5, gemm_s=args.gemm_seconds)
    meta: dict[str, Any] = {"machine": report.machine_info(), "load_start": os.getloadavg(),
                            "free_cores_start": report.free_cores(),
                            "workers": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    parity = {}
    if "pytorch" in frameworks and "nnblocks" in frameworks and not args.no_parity:
        # --quick: case 7's model is case 2's, and each check costs a few steps
        parity = run_parity([c for c in cases if not (args.quick and c.number == 7)])
    rows = []
    with BusyLoops(args.busy):
        run_settings(args, cases, frameworks, plan, meta, rows)
    meta["busy"] = args.busy
    meta["load_end"] = os.getloadavg()
    meta["free_cores_end"] = report.free_cores()
    settings = {"quick": args.quick, "warmup": args.warmup, "repeats": args.repeats,
                "steps": f"≤ {args.steps}, ≤ {args.budget:g} s per framework and case",
                "threads": args.threads, "frameworks": frameworks, "busy": args.busy}
    return {"meta": meta, "settings": settings, "parity": parity, "rows": rows}


def run_settings(args: argparse.Namespace, cases: list[Case], frameworks: list[str],
                 plan: Plan, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Every case at every thread setting of ``--threads``; appends to ``rows``."""
    label = f"+busy{args.busy}" if args.busy else ""
    for threads in [t for t in args.threads.split(",") if t]:
        workers: dict[str, WorkerProcess] = {}
        for case in cases:
            for fw in frameworks:
                if fw not in workers or not workers[fw].alive() or not args.quick:
                    if fw in workers:
                        workers[fw].close()
                    workers[fw] = WorkerProcess(fw, threads)
                key = f"{fw}, threads={threads}"
                if key not in meta["workers"]:
                    try:
                        meta["workers"][key] = workers[fw].request({"cmd": "info"}, 120)
                    except WorkerError as exc:
                        meta["workers"][key] = {"framework": fw, "error": str(exc), "pools": []}
            row = run_case(case, threads, workers, plan)
            row["threads"] = threads + label
            rows.append(row)
            ratio = row.get("ratio")
            print(f"  {case.key}, threads={threads}{label}: ratio "
                  f"{'—' if ratio is None else format(ratio, '.2f')}", file=sys.stderr, flush=True)
        for w in workers.values():
            w.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="under a minute: 1 warm-up, few steps, one worker per framework, "
                        "sweep subset; for checking the harness, not for numbers")
    p.add_argument("--cases", default="all",
                   help="comma list of case numbers 1-7 or keys (mlp, cnn, cnn_bn, rnn, "
                        "cnn_infer, ops, sweep_b64_i56); default all")
    p.add_argument("--threads", default="default,1",
                   help="comma list: 'default' (libraries choose) and/or thread counts")
    p.add_argument("--frameworks", default="nnblocks,pytorch")
    p.add_argument("--sweep", choices=("axes", "grid"), default="axes",
                   help="case 7: batch and image size one at a time (5 points) or the 3x3 grid")
    p.add_argument("--json", type=Path, default=None,
                   help="where to write results (default benchmarks/results.json, "
                        "benchmarks/results-quick.json with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3; quick 1)")
    p.add_argument("--steps", type=int, default=None,
                   help="timed steps per repeat (default 30; quick: at most 10)")
    p.add_argument("--repeats", type=int, default=4)
    p.add_argument("--budget", type=float, default=None,
                   help="seconds of timed steps per framework and case, all repeats together: "
                        "fewer steps (at least 5 per repeat) when --steps would take longer "
                        "(default 2.5; quick 0.4)")
    p.add_argument("--busy", type=int, default=0,
                   help="start N single-thread busy-loop processes for the run (stopped at "
                        "its end, also on Ctrl-C): both frameworks timed with N cores taken")
    p.add_argument("--gemm-seconds", type=float, default=None,
                   help="seconds per case spent measuring the fraction of nnblocks' step in "
                        "GEMMs (sampling, after the timed repeats; 0 turns it off; default 1, "
                        "quick 0)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per worker command")
    p.add_argument("--no-parity", action="store_true", help="skip the parity check")
    args = p.parse_args(argv)
    if args.warmup is None:
        args.warmup = 1 if args.quick else 3
    if args.steps is None:
        args.steps = 10 if args.quick else 30
    if args.budget is None:
        args.budget = 0.4 if args.quick else 2.5
    if args.gemm_seconds is None:
        args.gemm_seconds = 0.0 if args.quick else 1.0
    if args.json is None:
        name = "results-quick.json" if args.quick else "results.json"
        args.json = ROOT / "benchmarks" / name
    return args


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM: unwind like Ctrl-C, so ``--busy`` loops and workers are stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    t0 = time.monotonic()
    try:
        results = run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    results["meta"]["wall_s"] = round(time.monotonic() - t0, 1)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print("\n".join(report.header(results)))
    print()
    print(report.table(results))
    print(f"\n{results['meta']['wall_s']} s; results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
