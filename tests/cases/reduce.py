"""Block-table cases for the reductions (nnblocks.functional.reduce): any axes, keepdim,
Bessel's correction. Max/Min inputs are continuous random values, so they have no ties (the tie
rule is tested against PyTorch in tests/functional/test_primitives_ties.py)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.core import Tensor
from nnblocks.functional.reduce import MaxBlock, MeanBlock, MinBlock, SumBlock, VarBlock
from nnblocks.functional.vector_norms import VectorNormBlock
from tests.cases import Case
from tests.cases import normal_input as _x

CASES = [
    Case(SumBlock, "sum_all", lambda x: x.sum(), _x(3, 4),
         reference=np.sum, torch_fn=lambda x: x.sum()),
    Case(SumBlock, "sum_dim", lambda x: F.sum(x, 1), _x(2, 3, 4),
         reference=lambda x: x.sum(axis=1), torch_fn=lambda x: x.sum(1)),
    Case(SumBlock, "sum_dims_keepdim", lambda x: x.sum(dim=(0, -1), keepdim=True), _x(2, 3, 4),
         reference=lambda x: x.sum(axis=(0, 2), keepdims=True),
         torch_fn=lambda x: x.sum(dim=(0, -1), keepdim=True)),
    Case(SumBlock, "sum_0d", lambda x: x.sum(), lambda r: [Tensor(r.standard_normal(()),
                                                             requires_grad=True)],
         reference=np.sum, torch_fn=lambda x: x.sum()),
    Case(MeanBlock, "mean_all", lambda x: x.mean(), _x(3, 4),
         reference=np.mean, torch_fn=lambda x: x.mean()),
    Case(MeanBlock, "mean_dims", lambda x: F.mean(x, dim=(1, 2)), _x(2, 3, 4),
         reference=lambda x: x.mean(axis=(1, 2)), torch_fn=lambda x: x.mean(dim=(1, 2))),
    Case(MeanBlock, "mean_keepdim_negative", lambda x: x.mean(-2, keepdim=True), _x(2, 3, 4),
         reference=lambda x: x.mean(axis=-2, keepdims=True),
         torch_fn=lambda x: x.mean(-2, keepdim=True)),
    Case(MaxBlock, "max_all", lambda x: x.max(), _x(3, 4),
         reference=np.max, torch_fn=lambda x: x.amax()),
    Case(MaxBlock, "max_dim", lambda x: F.amax(x, 1), _x(2, 5, 3),
         reference=lambda x: x.max(axis=1), torch_fn=lambda x: x.amax(1)),
    Case(MaxBlock, "max_dims_keepdim", lambda x: F.amax(x, (0, 2), keepdim=True), _x(2, 3, 4),
         reference=lambda x: x.max(axis=(0, 2), keepdims=True),
         torch_fn=lambda x: x.amax((0, 2), keepdim=True)),
    Case(MinBlock, "min_all", lambda x: x.min(), _x(3, 4),
         reference=np.min, torch_fn=lambda x: x.amin()),
    Case(MinBlock, "min_dim_keepdim", lambda x: F.amin(x, -1, keepdim=True), _x(3, 4),
         reference=lambda x: x.min(axis=-1, keepdims=True),
         torch_fn=lambda x: x.amin(-1, keepdim=True)),
    Case(VarBlock, "var_all_unbiased", lambda x: x.var(), _x(3, 4),
         reference=lambda x: x.var(ddof=1), torch_fn=lambda x: x.var()),
    Case(VarBlock, "var_dim_biased", lambda x: F.var(x, 1, correction=0), _x(2, 5, 3),
         reference=lambda x: x.var(axis=1), torch_fn=lambda x: x.var(1, correction=0)),
    Case(VarBlock, "var_dims_keepdim", lambda x: x.var((0, 2), keepdim=True), _x(2, 3, 4),
         reference=lambda x: x.var(axis=(0, 2), ddof=1, keepdims=True),
         torch_fn=lambda x: x.var((0, 2), keepdim=True)),
    Case(VarBlock, "var_correction_2", lambda x: x.var(0, correction=2), _x(5, 3),
         reference=lambda x: x.var(axis=0, ddof=2), torch_fn=lambda x: x.var(0, correction=2)),
    Case(VectorNormBlock, "norm_2_all", lambda x: x.norm(), _x(3, 4),
         reference=lambda x: np.sqrt((x * x).sum()), torch_fn=lambda x: x.norm()),
    Case(VectorNormBlock, "norm_1_dim_keepdim", lambda x: x.norm(1, dim=1, keepdim=True),
         _x(2, 5, 3), reference=lambda x: np.abs(x).sum(axis=1, keepdims=True),
         torch_fn=lambda x: x.norm(1, dim=1, keepdim=True)),
    Case(VectorNormBlock, "vector_norm_3_dims", lambda x: F.vector_norm(x, 3, dim=(0, 2)),
         _x(2, 3, 4), reference=lambda x: (np.abs(x) ** 3).sum(axis=(0, 2)) ** (1 / 3),
         torch_fn=lambda x: __import__("torch").linalg.vector_norm(x, 3, dim=(0, 2))),
    Case(VectorNormBlock, "linalg_norm_rows", lambda x: nb.linalg.norm(x, 2.5, dim=-1),
         _x(4, 3), reference=lambda x: (np.abs(x) ** 2.5).sum(axis=-1) ** (1 / 2.5),
         torch_fn=lambda x: __import__("torch").linalg.norm(x, 2.5, dim=-1)),
]
