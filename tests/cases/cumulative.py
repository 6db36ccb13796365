"""Block-table cases for running sums and products, products and einsum
(nnblocks.functional.cumulative, reduce_extra, einsum)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.core import Tensor
from nnblocks.functional.cumulative import CumprodBlock, CumsumBlock
from nnblocks.functional.einsum import EinsumBlock
from nnblocks.functional.reduce_extra import ProdBlock
from tests.cases import Case
from tests.cases import normal_input as _x
from tests.cases import normal_inputs as _xs


def _with_zero(*shape: int):
    """Random values with one exact zero in the middle of the first line (the zero branch of
    the product gradients); finite differences stay exact there (the product is linear in
    each element)."""
    def make(r: np.random.Generator) -> list:
        a = r.standard_normal(shape)
        a.reshape(-1)[1] = 0.0
        return [Tensor(a, requires_grad=True)]
    return make


CASES = [
    Case(CumsumBlock, "cumsum_dim1", lambda x: nb.cumsum(x, 1), _x(2, 5, 3),
         reference=lambda x: np.cumsum(x, 1), torch_fn=lambda x: x.cumsum(1)),
    Case(CumsumBlock, "cumsum_negative_dim", lambda x: x.cumsum(-1), _x(3, 4),
         reference=lambda x: np.cumsum(x, -1), torch_fn=lambda x: x.cumsum(-1)),
    Case(CumprodBlock, "cumprod_dim0", lambda x: nb.cumprod(x, 0), _x(4, 3),
         reference=lambda x: np.cumprod(x, 0), torch_fn=lambda x: x.cumprod(0)),
    Case(CumprodBlock, "cumprod_with_zero", lambda x: x.cumprod(-1), _with_zero(2, 5),
         reference=lambda x: np.cumprod(x, -1), torch_fn=lambda x: x.cumprod(-1)),
    Case(ProdBlock, "prod_all", lambda x: x.prod(), _x(2, 3),
         reference=np.prod, torch_fn=lambda x: x.prod()),
    Case(ProdBlock, "prod_dim_keepdim", lambda x: nb.prod(x, 1, keepdim=True), _x(3, 4),
         reference=lambda x: x.prod(1, keepdims=True), torch_fn=lambda x: x.prod(1, True)),
    Case(ProdBlock, "prod_with_zero", lambda x: x.prod(1), _with_zero(2, 4),
         reference=lambda x: x.prod(1), torch_fn=lambda x: x.prod(1)),
    Case(EinsumBlock, "einsum_matmul", lambda a, b: nb.einsum("ij,jk->ik", a, b),
         _xs((2, 3), (3, 4)), reference=lambda a, b: a @ b,
         torch_fn=lambda a, b: __import__("torch").einsum("ij,jk->ik", a, b)),
    Case(EinsumBlock, "einsum_batched_implicit", lambda a, b: nb.einsum("bij,bkj", a, b),
         _xs((2, 3, 4), (2, 5, 4)), reference=lambda a, b: np.einsum("bij,bkj", a, b),
         torch_fn=lambda a, b: __import__("torch").einsum("bij,bkj", a, b)),
    Case(EinsumBlock, "einsum_ellipsis_broadcast",
         lambda a, b: nb.einsum("...ij,...jk->...ik", a, b), _xs((2, 1, 2, 3), (4, 3, 2)),
         reference=lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
         torch_fn=lambda a, b: __import__("torch").einsum("...ij,...jk->...ik", a, b)),
    Case(EinsumBlock, "einsum_diagonal_and_sum", lambda a: nb.einsum("iij->j", a),
         _x(3, 3, 2), reference=lambda a: np.einsum("iij->j", a),
         torch_fn=lambda a: __import__("torch").einsum("iij->j", a)),
]
