"""The table of block cases that drives tests/test_block_table.py.

Every :class:`~nnblocks.core.Block` subclass in the library must be covered by at least one
:class:`Case` (a meta-test enforces it). A case says how to apply the block to tensors, how to
make its inputs, and what to compare it with:

- ``reference``: a closed form or naive loop on NumPy arrays (float64) giving the expected
  output(s) — required for blocks PyTorch lacks (LocallyConnected, Maxout, DeltaBarDelta ...);
- ``torch_fn``: the same computation in PyTorch, taking torch tensors in the same order; the
  harness compares outputs **and** the gradients of every input that requires grad.

Every case is also gradient-checked in float64 against central differences.

Add cases in a module of this package named after the block family (``math.py``, ``conv.py``,
``recurrent.py`` ...) that defines a module-level list ``CASES``; discovery is automatic.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnblocks.core import Tensor


@dataclass
class Case:
    """One row of the block table.

    Attributes:
        block: the Block subclass (or several) this case covers.
        name: a short id, unique within the table (used as the pytest id).
        fn: ``fn(*inputs) -> Tensor | tuple[Tensor, ...]``, applying the block (via its wrapper or
            ``Block.apply``).
        make_inputs: ``make_inputs(rng) -> list`` of float64 tensors (``requires_grad=True`` for
            those to differentiate) and constants (ints, index arrays, ...).
        reference: ``reference(*arrays) -> array | tuple`` computing the expected output(s) from
            the inputs' arrays, or None.
        torch_fn: ``torch_fn(*torch_inputs) -> tensor | tuple`` with inputs converted by
            ``torch.from_numpy`` (float64; ``requires_grad`` as in nnblocks; constants passed
            through unchanged unless ``torch_convert_constants``), or None.
        gradcheck: whether to run the finite-difference check (False only for blocks with no
            gradient, e.g. comparisons — say why in ``note``).
        atol, rtol: tolerances for reference and PyTorch comparisons.
        grad_atol, grad_rtol: tolerances for the finite-difference check.
        note: why a check is skipped or loosened.
    """

    block: type | Sequence[type]
    name: str
    fn: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator], list]
    reference: Callable[..., Any] | None = None
    torch_fn: Callable[..., Any] | None = None
    gradcheck: bool = True
    atol: float = 1e-10
    rtol: float = 1e-6
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-3
    torch_convert_constants: bool = False
    note: str = ""
    blocks: tuple = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = tuple(self.block) if isinstance(self.block, (list, tuple)) else (self.block,)


def normal(rng: np.random.Generator, *shape: int) -> Tensor:
    """A float64 tensor of standard normal values that requires grad."""
    return Tensor(rng.standard_normal(shape), requires_grad=True)


def normal_input(*shape: int):
    """``make_inputs`` of one standard normal float64 input of ``shape``."""
    return lambda rng: [normal(rng, *shape)]


def normal_inputs(*shapes: tuple):
    """``make_inputs`` of one standard normal float64 input per shape."""
    return lambda rng: [normal(rng, *s) for s in shapes]


def all_cases() -> list[Case]:
    """Every ``CASES`` list of every module in this package."""
    cases: list[Case] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate case names in the block table: {sorted(duplicates)}")
    return cases
