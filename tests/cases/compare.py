"""Block-table case for the comparison block (nnblocks.functional.compare)."""

from __future__ import annotations

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.compare import CompareBlock
from tests.cases import Case

_OPS = {
    "eq": (lambda a, b: a == b, np.equal),
    "ne": (lambda a, b: a != b, np.not_equal),
    "lt": (lambda a, b: a < b, np.less),
    "le": (lambda a, b: a <= b, np.less_equal),
    "gt": (lambda a, b: a > b, np.greater),
    "ge": (lambda a, b: a >= b, np.greater_equal),
}


def _inputs(rng: np.random.Generator) -> list:
    """Small integers as floats, so equal elements (ties) occur; b broadcasts against a."""
    a = rng.integers(-2, 3, (3, 4)).astype(np.float64)
    b = rng.integers(-2, 3, (4,)).astype(np.float64)
    return [Tensor(a, requires_grad=True), Tensor(b)]


CASES = [
    Case(CompareBlock, f"compare_{name}", op, _inputs, reference=ref, torch_fn=op,
         gradcheck=False,
         note="comparisons are piecewise constant: no gradient, the block is never recorded")
    for name, (op, ref) in _OPS.items()
]
