"""Embedding exports as Gather: integer ids as the graph input (int64 and int32), checked by
onnx.checker and against ONNX Runtime at three batch sizes, with padding_idx and inside a
small language-model head. (Embedding is kept out of the random float compositions of
test_export_layers.py: it must be the first layer, fed integers.)"""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks import nn
from tests.onnx.helpers import check_roundtrip


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_embedding_exports_as_gather(dtype) -> None:
    model = nn.Sequential(nn.Embedding(12, 5, padding_idx=0), nn.Flatten(), nn.Linear(20, 3),
                          nn.Tanh())
    model.eval()

    def ids(n: int) -> np.ndarray:
        return np.random.default_rng(n).integers(0, 12, (n, 4)).astype(dtype)

    proto = check_roundtrip(model, ids, [2, 1, 7])
    assert [node.op_type for node in proto.graph.node][0] == "Gather"


def test_embedding_then_a_recurrent_layer() -> None:
    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(9, 6)
            self.rnn = nn.GRU(6, 4, batch_first=True)
            self.head = nn.Linear(4, 3)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out)

    model = Tagger().eval()
    check_roundtrip(model, lambda n: np.random.default_rng(n).integers(0, 9, (n, 5)), [3, 1, 4])
