"""Block-table cases for nnblocks.functional.pointwise: sin, cos, log1p, expm1, the rounding
family (zero gradient) and the dtype cast (``to(dtype)``, ``clone``)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.core import Tensor
from nnblocks.functional.pointwise import (
    CastBlock,
    CosBlock,
    Expm1Block,
    Log1pBlock,
    RoundingBlock,
    SinBlock,
)
from tests.cases import Case
from tests.cases.math import normal


def off_the_steps(rng: np.random.Generator, *shape: int) -> Tensor:
    """Values whose fractional part is in [0.1, 0.4] or [0.6, 0.9]: away from every jump of
    sign, floor, ceil and round, so central differences see the zero gradient."""
    whole = rng.integers(-3, 3, shape)
    frac = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)
    return Tensor(whole + frac, requires_grad=True)


def _method(name: str):
    return lambda x: getattr(x, name)()


CASES = [
    Case(SinBlock, "sin", F.sin, lambda r: [normal(r, 3, 4)],
         reference=np.sin, torch_fn=lambda x: x.sin()),
    Case(CosBlock, "cos", lambda x: x.cos(), lambda r: [normal(r, 3, 4)],
         reference=np.cos, torch_fn=lambda x: x.cos()),
    Case(Log1pBlock, "log1p", F.log1p,
         lambda r: [Tensor(r.uniform(-0.5, 2.0, (3, 4)), requires_grad=True)],
         reference=np.log1p, torch_fn=lambda x: x.log1p()),
    Case(Expm1Block, "expm1", lambda x: x.expm1(), lambda r: [normal(r, 5)],
         reference=np.expm1, torch_fn=lambda x: x.expm1()),
    *[
        Case(RoundingBlock, f"rounding_{op}", _method(op),
             lambda r: [off_the_steps(r, 4, 3)],
             reference=getattr(np, op), torch_fn=_method(op))
        for op in ("sign", "floor", "ceil", "round")
    ],
    Case(CastBlock, "clone", lambda x: x.clone(), lambda r: [normal(r, 2, 3)],
         reference=lambda x: x, torch_fn=lambda x: x.clone()),
    Case(CastBlock, "to_float32", lambda x: x.to(nb.float32), lambda r: [normal(r, 2, 3)],
         reference=lambda x: x.astype(np.float32), torch_fn=lambda x: x.to(torch_float32()),
         gradcheck=False, atol=1e-6,
         note="float32 output: central differences in float32 are too coarse; the gradient is "
              "compared with PyTorch's and the clone case is gradient-checked"),
]


def torch_float32():
    from tests.conftest import import_torch

    return import_torch().float32
