"""einsum (attention written with it), cumsum and prod export to ONNX (Einsum, CumSum,
ReduceProd) and match ONNX Runtime at three batch sizes; cumprod, which has no ONNX operator,
is refused with an error naming it."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn
from tests.onnx.helpers import check_roundtrip, import_onnx


class EinsumAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)                    # (N, T, 8) each
        scores = nb.einsum("btd,bsd->bts", q, k) / 8 ** 0.5
        return nb.einsum("bts,bsd->btd", scores.softmax(-1), v)


class Running(nn.Module):
    def forward(self, x):
        return nb.cumsum(x, dim=1) + x.tanh().prod(dim=-1, keepdim=True) + \
            nb.einsum("...ij->...ji", x)[:, :1].sum()


def _floats(shape):
    return lambda n: np.random.default_rng(n).standard_normal((n, *shape)).astype(np.float32)


def test_attention_written_with_einsum_exports() -> None:
    check_roundtrip(EinsumAttention().eval(), _floats((5, 8)), [2, 1, 3])


def test_cumsum_prod_and_an_ellipsis_einsum_export() -> None:
    check_roundtrip(Running().eval(), _floats((4, 4)), [2, 1, 3])


def test_cumprod_is_refused_naming_the_block() -> None:
    import_onnx()

    class Product(nn.Module):
        def forward(self, x):
            return nb.cumprod(x, dim=1)

    with pytest.raises(Exception, match="CumprodBlock"):
        nb.onnx.export(Product(), np.ones((2, 3), np.float32))
