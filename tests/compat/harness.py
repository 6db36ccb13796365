"""Run one PyTorch program text twice: on PyTorch, and on nnblocks installed as ``torch``.

:func:`torch_is_nnblocks` puts nnblocks' modules in ``sys.modules`` under PyTorch's names
(``torch`` -> ``nnblocks``, ``torch.nn`` -> ``nnblocks.nn`` ...) for the duration of a
``with`` block and restores whatever was there before, so the program's own ``import torch``
lines are the only thing that changes between the two runs.

A program is a plain script. The runner gives it one global, ``CHECKPOINT`` (a path in the
test's tmp_path): the PyTorch run, coming first, saves its initial weights there with
``torch.save``; the nnblocks run finds the file and loads it with ``torch.load`` (i.e.
:func:`nnblocks.load` reading PyTorch's own format), so both start from the same weights. The
program appends what it wants compared to a list named ``losses``.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROGRAMS = Path(__file__).parent / "programs"

#: PyTorch's module names and the nnblocks module standing in for each
MODULES = {
    "torch": "nnblocks",
    "torch.nn": "nnblocks.nn",
    "torch.nn.functional": "nnblocks.nn.functional",
    "torch.nn.init": "nnblocks.nn.init",
    "torch.nn.utils": "nnblocks.nn.utils",
    "torch.optim": "nnblocks.optim",
    "torch.optim.lr_scheduler": "nnblocks.optim.lr_scheduler",
    "torch.utils": "nnblocks.utils",
    "torch.utils.data": "nnblocks.utils.data",
    "torch.autograd": "nnblocks.autograd",
}


@contextlib.contextmanager
def torch_is_nnblocks() -> Iterator[None]:
    """Inside: ``import torch`` (and its submodules above) gives nnblocks. Restored on exit."""
    saved = {name: sys.modules.get(name) for name in MODULES}
    try:
        for name, target in MODULES.items():
            sys.modules[name] = importlib.import_module(target)
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def run_program(name: str, backend: str, checkpoint: Path) -> list[float]:
    """Execute ``programs/<name>.py`` on ``backend`` ("torch" or "nnblocks"); its losses."""
    path = PROGRAMS / f"{name}.py"
    code = compile(path.read_text(), str(path), "exec")
    namespace: dict[str, Any] = {"__name__": f"compat_{name}", "CHECKPOINT": str(checkpoint)}
    if backend == "nnblocks":
        with torch_is_nnblocks():
            exec(code, namespace)
    else:
        exec(code, namespace)
    return [float(v) for v in namespace["losses"]]


def program_names() -> list[str]:
    return sorted(p.stem for p in PROGRAMS.glob("*.py"))
