"""Block case for dropout: the random mask is a constant input, so the block is deterministic."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.dropout import DropoutBlock, dropout_mask
from tests.cases import Case


def _inputs(rng: np.random.Generator) -> list:
    x = nb.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    return [x, dropout_mask((4, 5), 0.3, np.float64, rng)]


CASES = [
    Case(DropoutBlock, "dropout_mask", DropoutBlock.apply, _inputs, reference=lambda x, m: x * m,
         torch_fn=lambda x, m: x * m, torch_convert_constants=True),
]
