"""Where does an nnblocks training step spend its time? Two views of one benchmark case.

    python benchmarks/profile_case.py --case cnn --threads 1 --steps 20

1. By block: the exclusive time of every block's ``forward`` and ``backward`` (a block calling
   another block's methods is not counted twice), the optimizer's ``step`` and ``zero_grad``,
   and what is left: the autograd engine, modules and Python glue.
2. By function (cProfile, ``tottime``): the functions where the time is spent, with qualified
   names, and the same time grouped into categories (im2col, GEMM, col2im, pooling, ...) by
   function name; a C function (a NumPy call) is split by caller and grouped by the
   caller's name. A GEMM written as ``a @ b`` is not a function call for cProfile: its time shows up
   in the function containing the ``@``, so read the two views together.

The thread limit is set in the environment before NumPy loads (``--threads default`` leaves
it alone). The case runs in this process, nnblocks only. With more than one thread, cProfile
sees only the calling thread: the work of nnblocks' pool threads shows up as waiting (in
``thread pool, scratch buffers``), so profile at ``--threads 1`` (the default) to see where
the work goes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: categories of the by-function view: the first pattern that matches a qualified name wins
CATEGORIES = (
    ("col2im", r"col2im|_fold|scatter|add\.at|to_wide|wide_view|\bcrop\b|padded_rows_to_nchw"),
    ("im2col", r"im2col|unfold|sliding_window|as_strided|window_view|_patches|pad_input|"
               r"nchw_to_padded"),
    ("GEMM (incl. Linear's bias add)", r"matmul|\bdot\b|einsum|tensordot|gemm|\bvdot\b|"
                                        r"\binner\b|^Linear\.|\blinear\.py|^chunk |^block |"
                                        r"_input_grad"),
    ("conv glue (bias add, relayouts)", r"conv2d_forward|conv2d_backward|rows_to_nchw|"
                                        r"weight_(from_)?matrix"),
    ("pooling", r"pool"),
    ("batch norm", r"batch_?norm"),
    ("loss", r"cross_entropy|crossentropy|log_softmax|logsoftmax|nll"),
    ("optimizer", r"optim\b|optim\.|adam|sgd|momentum|optimizer|zero_grad|_foreach"),
    ("autograd", r"autograd\.py|block\.py|broadcast\.py|_topological|_add_grad|_make\b"),
    ("elementwise", r"relu|maximum|minimum|tanh|exp|where|add|mul|sub|div|\bsum\b|clip"),
    ("thread pool, scratch buffers", r"_Worker|_run_shares|threads\.py|_thread\.lock"),
)


#: the clock of the by-block view: wall time, or with ``--clock cpu`` this thread's CPU time
#: (on a loaded machine the CPU time of a 1-thread step is far steadier than its wall time)
_CLOCK = [time.perf_counter]


def _set_threads(threads: str) -> None:
    if threads != "default":
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "NNBLOCKS_NUM_THREADS"):
            os.environ[var] = threads


# ---------------------------------------------------------------------- view 1: by block
class BlockTimer:
    """Wraps every Block subclass's forward/backward to accumulate exclusive time."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._child: list[float] = []              # time spent in nested timed calls
        self._saved: list[tuple[type, str, Any]] = []

    def _wrap(self, label: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._child.append(0.0)
            t0 = _CLOCK[0]()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = _CLOCK[0]() - t0
                nested = self._child.pop()
                self.totals[label] = self.totals.get(label, 0.0) + elapsed - nested
                if self._child:
                    self._child[-1] += elapsed
        return timed

    def install(self, blocks: list[type], extra: list[tuple[Any, str, str]]) -> None:
        for cls in blocks:
            for meth in ("forward", "backward"):
                if meth in cls.__dict__:
                    fn = getattr(cls, meth)
                    self._saved.append((cls, meth, cls.__dict__[meth]))
                    setattr(cls, meth, staticmethod(self._wrap(f"{cls.__name__}.{meth}", fn)))
        for obj, meth, label in extra:                 # bound methods of one object
            setattr(obj, meth, self._wrap(label, getattr(obj, meth)))

    def uninstall(self) -> None:
        for cls, meth, original in self._saved:
            setattr(cls, meth, original)


def _find_optimizer(step: Any) -> Any:
    """The optimizer object a training step closes over (None for inference and case 6)."""
    for cell in step.__closure__ or ():
        obj = cell.cell_contents
        if hasattr(obj, "step") and hasattr(obj, "zero_grad") and not hasattr(obj, "forward"):
            return obj
    return None


def by_block(case_key: str, steps: int) -> list[tuple[str, float]]:
    from benchmarks.cases import NNBLOCKS, find_case, setup
    from nnblocks.core import Block

    model, step = setup(NNBLOCKS, find_case(case_key))
    step()                                           # warm-up
    timer = BlockTimer()
    opt = _find_optimizer(step)
    extra = [] if opt is None else [(opt, "step", "optimizer.step"),
                                    (opt, "zero_grad", "optimizer.zero_grad")]
    timer.install(list(Block.registry.values()), extra)
    try:
        t0 = _CLOCK[0]()
        for _ in range(steps):
            step()
        total = _CLOCK[0]() - t0
    finally:
        timer.uninstall()
    rows = sorted(timer.totals.items(), key=lambda kv: -kv[1])
    rows.append(("(rest: autograd engine, modules, Python)", total - sum(timer.totals.values())))
    rows.append(("TOTAL per step", total))
    return [(label, seconds / steps * 1e3) for label, seconds in rows]


# ---------------------------------------------------------------------- view 2: cProfile
def _qualnames() -> dict[tuple[str, int, str], str]:
    """(file, first line, name) -> qualified name, for nnblocks' and benchmarks' functions."""
    import inspect

    names = {}
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith(("nnblocks", "benchmarks")):
            continue
        stack = [getattr(mod, n) for n in dir(mod)]
        seen = set()
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
            if inspect.isclass(obj) and obj.__module__.startswith(("nnblocks", "benchmarks")):
                stack.extend(obj.__dict__.values())
            elif inspect.isfunction(obj):
                code = obj.__code__
                names[(code.co_filename, code.co_firstlineno, code.co_name)] = obj.__qualname__
    return names


def by_function(case_key: str, steps: int, top: int) -> tuple[list, list, float]:
    import cProfile
    import pstats

    from benchmarks.cases import NNBLOCKS, find_case, setup

    _, step = setup(NNBLOCKS, find_case(case_key))
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    stats = pstats.Stats(prof).stats
    names = _qualnames()
    rows = []
    for (filename, line, func), (_, ncalls, tottime, cumtime, callers) in stats.items():
        qual = names.get((filename, line, func), func)
        if filename == "~" and callers:            # a C function: one row per caller
            for (cf, cl, cn), (c_calls, _, c_tt, c_ct) in callers.items():
                where = f"<- {names.get((cf, cl, cn), cn)} {Path(cf).name}:{cl}"
                rows.append((qual, where, c_calls / steps, c_tt / steps * 1e3,
                             c_ct / steps * 1e3))
            continue
        where = f"{Path(filename).name}:{line}"
        rows.append((qual, where, ncalls / steps, tottime / steps * 1e3, cumtime / steps * 1e3))
    total = sum(r[3] for r in rows)
    cats: dict[str, float] = {}
    for qual, where, *_, tt, _ in rows:
        label = "other (builtins, glue)"
        for cat, pattern in CATEGORIES:
            if re.search(pattern, f"{qual} {where}", re.IGNORECASE):
                label = cat
                break
        cats[label] = cats.get(label, 0.0) + tt
    rows.sort(key=lambda r: -r[3])
    return rows[:top], sorted(cats.items(), key=lambda kv: -kv[1]), total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--case", default="cnn", help="a case key of benchmarks/cases.py")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", default="1", help="'default' or a thread count (default 1)")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="by-block view: wall time or this thread's CPU time (cpu: only "
                        "meaningful at --threads 1)")
    args = p.parse_args(argv)
    _set_threads(args.threads)
    if args.clock == "cpu":
        _CLOCK[0] = time.thread_time
    from nnblocks.kernels import pad_heap

    pad_heap()                                   # as the benchmark worker and fit() do
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(f"case {args.case}, {args.steps} steps, threads={args.threads}: ms per step\n")
    print("By block (exclusive time):")
    blocks = by_block(args.case, args.steps)
    total = blocks[-1][1]
    for label, ms in blocks:
        print(f"  {ms:8.2f}  {100 * ms / total:5.1f}%  {label}")
    rows, cats, prof_total = by_function(args.case, args.steps, args.top)
    print(f"\nBy function (cProfile tottime; profiled step {prof_total:.2f} ms, slower than "
          "unprofiled):")
    print(f"  {'ms':>8}  {'%':>5}  {'calls':>7}  function")
    for qual, where, ncalls, tt, _ in rows:
        print(f"  {tt:8.2f}  {100 * tt / prof_total:5.1f}  {ncalls:7.0f}  {qual}  {where}")
    print("\nBy category (function names matched against CATEGORIES):")
    for cat, ms in cats:
        print(f"  {ms:8.2f}  {100 * ms / prof_total:5.1f}%  {cat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
