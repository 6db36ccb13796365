"""What the benchmark prints: the machine, the libraries in use, and the results table."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from typing import Any

#: environment variables that change the speed of the BLAS or thread pools; recorded as found
SPEED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "OMP_WAIT_POLICY", "NUMBA_NUM_THREADS", "NNBLOCKS_NUM_THREADS")


def machine_info() -> dict[str, Any]:
    """CPU model, core count, memory, and the speed-relevant environment."""
    info: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(),
                            "cpus": os.cpu_count(), "cpu": platform.processor() or "?"}
    if hasattr(os, "sched_getaffinity"):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["avx512"] = " avx512f " in text
        with open("/proc/meminfo") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    info["env"] = {k: os.environ[k] for k in SPEED_ENV if k in os.environ}
    return info


def free_cores(gemms: int = 12, size: int = 512) -> float:
    """How many cores this process gets now: the speedup of two threads each running
    ``gemms`` single-threaded GEMMs over one thread running them (2.0 on an idle 2-core
    machine; near 1.0 when other processes hold a core). Two-thread timings mean little
    when it is well below 2."""
    import threading
    import time

    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)

    def work() -> None:
        for _ in range(gemms):
            a @ a

    with threadpool_limits(1):
        work()                                                   # warm-up
        t0 = time.perf_counter()
        work()
        one = time.perf_counter() - t0
        workers = [threading.Thread(target=work) for _ in range(2)]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        two = time.perf_counter() - t0
    return round(2 * one / two, 2)


def summarize(repeats_ms: list[list[float]], items: int) -> dict[str, Any]:
    """Median (over every timed step of every repeat), quartiles and throughput."""
    times = sorted(t for rep in repeats_ms for t in rep)
    median = statistics.median(times)
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [median] * 3
    return {
        "median_ms": median, "p25_ms": q[0], "p75_ms": q[2], "min_ms": times[0],
        "repeat_medians_ms": [statistics.median(rep) for rep in repeats_ms],
        "steps": len(repeats_ms[0]), "repeats": len(repeats_ms),
        "items_per_s": items / (median / 1e3),
    }


# ---------------------------------------------------------------------- the table
def _pools_line(pools: list[dict[str, Any]]) -> str:
    parts = []
    for p in pools:
        arch = f", kernel {p['architecture']}" if p.get("architecture") else ""
        parts.append(f"{p.get('internal_api')} {p.get('version')}{arch}, "
                     f"{p.get('num_threads')} threads")
    return "; ".join(parts) or "?"


def header(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    m = meta["machine"]
    s = results["settings"]
    lines = [
        f"machine: {m.get('cpu')}, {m.get('cpus_usable', m.get('cpus'))} usable CPUs"
        f"{' (AVX-512)' if m.get('avx512') else ''}, {m.get('mem_gib', '?')} GiB; "
        f"load average {meta['load_start'][0]:.2f} at start, {meta['load_end'][0]:.2f} at end"
        + (f"; two-thread GEMM speedup available {meta['free_cores_start']} at start, "
           f"{meta['free_cores_end']} at end (2.0 = two idle cores)"
           if "free_cores_end" in meta else ""),
        f"python {m['python']}; env: " + (", ".join(f"{k}={v}" for k, v in m["env"].items())
                                          or "no thread/BLAS variables set"),
    ]
    for key, info in meta["workers"].items():
        if info.get("framework") == "pytorch":
            lines.append(f"[{key}] PyTorch {info['version']}: BLAS {info['blas']}, oneDNN "
                         f"{info['onednn']}, {info['threads']} intra-op threads")
        else:
            compiled = info.get("compiled", "?")
            lines.append(f"[{key}] nnblocks {info.get('version')} on numpy {info['numpy']}: "
                         f"{_pools_line(info['pools'])}; compiled path: {compiled}")
    if meta.get("busy"):
        lines.append(f"--busy {meta['busy']}: {meta['busy']} single-thread busy-loop "
                     "process(es) ran during the timing (rows marked +busy)")
    if "OPENBLAS_CORETYPE" in m["env"]:
        lines.append(f"WARNING: OPENBLAS_CORETYPE={m['env']['OPENBLAS_CORETYPE']} is set: "
                     "it slowed skinny GEMMs by 10-60% on the benchmark machine")
    lines.append(
        f"{'QUICK run (not for comparison): ' if s['quick'] else ''}warm-up {s['warmup']}, "
        f"{s['repeats']} repeats x {s['steps']} steps per framework, repeats interleaved; "
        "ms = median per step (train: zero_grad + forward + loss + backward + optimizer step); "
        "±x% = half the interquartile range; GEMM % = share of nnblocks' step in matrix "
        "products (sampled); MiB = peak RSS while the case ran minus RSS "
        "before it built its model, each framework in its own process")
    if s["quick"]:
        lines.append("quick: one worker per framework runs every case, so MiB after the "
                     "first case can undercount (freed memory is reused)")
    checked = [k for k, p in results["parity"].items() if p.get("status") == "ok"]
    unchecked = [k for k, p in results["parity"].items() if p.get("status") == "not available"]
    if checked:
        lines.append("parity with PyTorch from the same weights checked: " + ", ".join(checked))
    if unchecked:
        lines.append("parity not checked (nnblocks layers missing): " + ", ".join(unchecked))
    for key, par in results["parity"].items():
        if par.get("ok") is False:
            detail = "; ".join(par.get("messages", [])) or par.get("reason", "")
            lines.append(f"WARNING: parity {key}: {par.get('status')}: {detail}")
    return lines


def _cell_ms(r: dict[str, Any] | None) -> str:
    if r is None:
        return "—"
    if r["status"] != "ok":
        return r["status"]                                       # the reason is listed below
    spread = (r["p75_ms"] - r["p25_ms"]) / 2 / r["median_ms"] * 100
    return f"{r['median_ms']:.2f} ±{spread:.0f}%"


def _num(r: dict[str, Any] | None, key: str, fmt: str) -> str:
    if r is None or r.get("status") != "ok" or r.get(key) is None:
        return "—"
    return format(r[key], fmt)


def _share(r: dict[str, Any] | None) -> str:
    """nnblocks' GEMM share of the step in percent (:mod:`benchmarks.gemm_share`)."""
    if r is None or r.get("gemm_share") is None:
        return "—"
    return f"{100 * r['gemm_share']:.0f}"


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (readable in a terminal, pastes into the README)."""
    cols = ["#", "case", "threads", "nnblocks ms", "PyTorch ms", "ratio", "nnblocks /s",
            "PyTorch /s", "nnblocks MiB", "PyTorch MiB", "mem ratio", "nnblocks GEMM %"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in results["rows"]:
        nb = row["frameworks"].get("nnblocks")
        pt = row["frameworks"].get("pytorch")
        unit = row["unit"] if row["unit"] in ("ops", "steps") else ""
        title = row["title"] + ("" if unit else f" (b{row['batch']})")
        cells = [str(row["number"]), title, row["threads"],
                 _cell_ms(nb), _cell_ms(pt), _ratio(row.get("ratio")),
                 _num(nb, "items_per_s", ",.0f") + (f" {unit}" if unit and nb else ""),
                 _num(pt, "items_per_s", ",.0f") + (f" {unit}" if unit and pt else ""),
                 _num(nb, "peak_mib", ".1f"), _num(pt, "peak_mib", ".1f"),
                 _ratio(row.get("mem_ratio")), _share(nb)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines + _notes(results))


def _notes(results: dict[str, Any]) -> list[str]:
    """Why rows have no numbers (each reason once), below the table."""
    seen: dict[str, list[str]] = {}
    for row in results["rows"]:
        for fw, r in row["frameworks"].items():
            if r["status"] != "ok":
                note = f"{fw} {r['status']}: {r.get('reason', '')}"
                seen.setdefault(note, [])
                if row["case"] not in seen[note]:
                    seen[note].append(row["case"])
    return [""] + [f"- {', '.join(keys)}: {note}" for note, keys in seen.items()] if seen else []
