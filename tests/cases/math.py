"""Block-table cases for the element-wise arithmetic blocks and MatMul (nnblocks.functional.math).

Inputs are float64 with broadcasting shapes, drawn away from the points where a block is not
differentiable (|x| near 0 for Abs, ties for Maximum/Minimum, the bounds of Clip); the rules at
those points are tested against PyTorch in tests/functional/test_primitives_ties.py.
"""

from __future__ import annotations

import numpy as np

import nnblocks.functional as F
from nnblocks.core import Tensor
from nnblocks.functional.math import (
    AbsBlock,
    AddBlock,
    ClipBlock,
    DivBlock,
    ExpBlock,
    LogBlock,
    MatMulBlock,
    MaximumBlock,
    MinimumBlock,
    MulBlock,
    NegBlock,
    PowBlock,
    SqrtBlock,
    SubBlock,
    WhereBlock,
)
from tests.cases import Case, normal


def positive(rng: np.random.Generator, *shape: int, low: float = 0.5, high: float = 2.0) -> Tensor:
    """A float64 tensor of values in [low, high) that requires grad."""
    return Tensor(rng.uniform(low, high, shape), requires_grad=True)


def away_from(rng: np.random.Generator, *shape: int, points: tuple = (0.0,),
              gap: float = 0.1) -> Tensor:
    """Normal values at least ``gap`` away from each of ``points`` (kinks of the block)."""
    x = rng.standard_normal(shape)
    for p in points:
        near = np.abs(x - p) < gap
        x = np.where(near, np.where(x >= p, p + gap, p - gap), x)
    return Tensor(x, requires_grad=True)


def _pair(rng: np.random.Generator, a: tuple, b: tuple) -> list:
    return [normal(rng, *a), normal(rng, *b)]


CASES = [
    # ------------------------------------------------------------------ binary, broadcasting
    Case(AddBlock, "add_broadcast", lambda a, b: a + b,
         lambda r: _pair(r, (3, 1, 4), (2, 1)),
         reference=lambda a, b: a + b, torch_fn=lambda a, b: a + b),
    Case(AddBlock, "add_scalar_constant", lambda a: 2.5 + a,
         lambda r: [normal(r, 2, 3)],
         reference=lambda a: 2.5 + a, torch_fn=lambda a: 2.5 + a),
    Case(SubBlock, "sub_broadcast", lambda a, b: a - b,
         lambda r: _pair(r, (4,), (3, 1)),
         reference=lambda a, b: a - b, torch_fn=lambda a, b: a - b),
    Case(SubBlock, "rsub_scalar", lambda a: 1.0 - a,
         lambda r: [normal(r, 5)],
         reference=lambda a: 1.0 - a, torch_fn=lambda a: 1.0 - a),
    Case(MulBlock, "mul_broadcast", lambda a, b: a * b,
         lambda r: _pair(r, (2, 3, 1), (1, 4)),
         reference=lambda a, b: a * b, torch_fn=lambda a, b: a * b),
    Case(MulBlock, "mul_same_tensor", lambda a: a * a,
         lambda r: [normal(r, 3, 2)],
         reference=lambda a: a**2, torch_fn=lambda a: a * a),
    Case(DivBlock, "div_broadcast", lambda a, b: a / b,
         lambda r: [normal(r, 2, 3), positive(r, 3)],
         reference=lambda a, b: a / b, torch_fn=lambda a, b: a / b),
    Case(DivBlock, "rdiv_scalar", lambda b: 3.0 / b,
         lambda r: [positive(r, 4)],
         reference=lambda b: 3.0 / b, torch_fn=lambda b: 3.0 / b),
    Case(NegBlock, "neg", lambda x: -x,
         lambda r: [normal(r, 2, 3)],
         reference=lambda x: -x, torch_fn=lambda x: -x),
    Case(PowBlock, "pow_scalar_exponent", lambda a: a**3,
         lambda r: [normal(r, 2, 3)],
         reference=lambda a: a**3, torch_fn=lambda a: a**3),
    Case(PowBlock, "pow_fractional_exponent", lambda a: a**-1.5,
         lambda r: [positive(r, 5)],
         reference=lambda a: a**-1.5, torch_fn=lambda a: a**-1.5),
    Case(PowBlock, "pow_tensor_exponent", lambda a, b: a**b,
         lambda r: [positive(r, 3, 1), normal(r, 4)],
         reference=lambda a, b: a**b, torch_fn=lambda a, b: a**b),
    Case(PowBlock, "rpow_scalar_base", lambda b: 2.0**b,
         lambda r: [normal(r, 3)],
         reference=lambda b: 2.0**b, torch_fn=lambda b: 2.0**b),
    # ------------------------------------------------------------------ unary
    Case(ExpBlock, "exp", F.exp,
         lambda r: [normal(r, 3, 4)],
         reference=np.exp, torch_fn=lambda x: x.exp()),
    Case(LogBlock, "log", F.log,
         lambda r: [positive(r, 3, 4, low=0.1, high=3.0)],
         reference=np.log, torch_fn=lambda x: x.log()),
    Case(SqrtBlock, "sqrt", F.sqrt,
         lambda r: [positive(r, 3, 4, low=0.1, high=3.0)],
         reference=np.sqrt, torch_fn=lambda x: x.sqrt()),
    Case(AbsBlock, "abs", F.abs,
         lambda r: [away_from(r, 3, 4)],
         reference=np.abs, torch_fn=lambda x: x.abs()),
    # ------------------------------------------------------------------ selection
    Case(MaximumBlock, "maximum_broadcast", F.maximum,
         lambda r: _pair(r, (2, 1, 3), (4, 3)),
         reference=np.maximum, torch_fn=lambda a, b: a.maximum(b)),
    Case(MaximumBlock, "maximum_scalar", lambda a: F.maximum(a, 0.0),
         lambda r: [away_from(r, 6)],
         reference=lambda a: np.maximum(a, 0.0),
         torch_fn=lambda a: a.clamp(min=0.0)),
    Case(MinimumBlock, "minimum_broadcast", F.minimum,
         lambda r: _pair(r, (3, 1), (1, 5)),
         reference=np.minimum, torch_fn=lambda a, b: a.minimum(b)),
    Case(ClipBlock, "clip_both", lambda x: F.clip(x, -0.5, 0.7),
         lambda r: [away_from(r, 4, 5, points=(-0.5, 0.7))],
         reference=lambda x: np.clip(x, -0.5, 0.7),
         torch_fn=lambda x: x.clamp(-0.5, 0.7)),
    Case(ClipBlock, "clip_min_only", lambda x: x.clamp(min=0.2),
         lambda r: [away_from(r, 7, points=(0.2,))],
         reference=lambda x: np.maximum(x, 0.2), torch_fn=lambda x: x.clamp(min=0.2)),
    Case(ClipBlock, "clip_max_only", lambda x: F.clamp(x, max=-0.3),
         lambda r: [away_from(r, 7, points=(-0.3,))],
         reference=lambda x: np.minimum(x, -0.3), torch_fn=lambda x: x.clamp(max=-0.3)),
    Case(WhereBlock, "where_broadcast", F.where,
         lambda r: [Tensor(r.random((3, 1)) > 0.5), normal(r, 3, 4), normal(r, 4)],
         reference=np.where, torch_fn=lambda c, a, b: a.where(c, b)),
    Case(WhereBlock, "where_scalar_other", lambda c, a: F.where(c, a, 0.0),
         lambda r: [Tensor(r.random((2, 3)) > 0.3), normal(r, 2, 3)],
         reference=lambda c, a: np.where(c, a, 0.0),
         torch_fn=lambda c, a: a.where(c, 0.0)),
    # ------------------------------------------------------------------ matmul
    Case(MatMulBlock, "matmul_2d", lambda a, b: a @ b,
         lambda r: _pair(r, (3, 4), (4, 2)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_batched", F.matmul,
         lambda r: _pair(r, (2, 3, 4), (2, 4, 2)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_broadcast_batch", F.matmul,
         lambda r: _pair(r, (2, 1, 2, 3), (3, 3, 2)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_vector_matrix", F.matmul,
         lambda r: _pair(r, (4,), (2, 4, 3)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_matrix_vector", F.matmul,
         lambda r: _pair(r, (2, 3, 4), (4,)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_vector_vector", F.matmul,
         lambda r: _pair(r, (5,), (5,)),
         reference=np.matmul, torch_fn=lambda a, b: a @ b),
    Case(MatMulBlock, "matmul_constant_weight", lambda a: a @ np.arange(6.0).reshape(3, 2),
         lambda r: [normal(r, 4, 3)],
         reference=lambda a: a @ np.arange(6.0).reshape(3, 2)),
]
