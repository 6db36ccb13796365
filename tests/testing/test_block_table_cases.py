"""What the block table's meta-test (tests/test_block_table.py) does not say: a case covers a block
only if it really checks it.

- every block has a case with a reference (closed form, loop, or PyTorch);
- every differentiable block has a case that is gradient-checked;
- every gradient-checked case really applies the blocks it names (found in the recorded graph),
  on float64 inputs, so a case cannot claim a block its function never runs.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from nnblocks.core import Block, Tensor
from tests.cases import Case, all_cases
from tests.test_block_table import _import_everything

CASES = all_cases()


def _library_blocks() -> list[type]:
    _import_everything()
    return [cls for name, cls in Block.registry.items()
            if not name.startswith("tests.") and not getattr(cls, "abstract", False)]


def _recorded_blocks(out) -> set[type]:
    """Every block in the graph that produced ``out`` (a tensor or a tuple of them)."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    stack = [o.grad_fn for o in outs if isinstance(o, Tensor) and o.grad_fn is not None]
    seen: set = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(x.grad_fn for x in node.inputs if x is not None and x.grad_fn is not None)
    return {node.block for node in seen}


def test_every_block_has_a_case_with_a_reference() -> None:
    checked = {b for c in CASES if c.reference is not None or c.torch_fn is not None
               for b in c.blocks}
    missing = sorted(b.__qualname__ for b in _library_blocks() if b not in checked)
    assert not missing, f"blocks whose cases compare with nothing: {missing}"


def test_every_differentiable_block_is_gradient_checked() -> None:
    checked = {b for c in CASES if c.gradcheck for b in c.blocks}
    missing = sorted(b.__qualname__ for b in _library_blocks()
                     if b.differentiable and b not in checked)
    assert not missing, f"differentiable blocks without a gradient-checked case: {missing}"


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_case_applies_the_blocks_it_names(case: Case) -> None:
    inputs = case.make_inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad:
            assert x.dtype == np.float64, f"{case.name}: gradient checks run in float64"
    recorded = _recorded_blocks(case.fn(*inputs))
    absent = [b.__name__ for b in case.blocks if b not in recorded]
    assert not absent, f"{case.name} names {absent} but its function never applies them"
