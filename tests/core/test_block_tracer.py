"""The tracer hook of ``Block.apply`` (used by ONNX export): it sees every application with its
inputs and hyper-parameters, runs the block untraced, and is off outside its context."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.core.block import block_tracer


def test_tracer_sees_each_block_with_inputs_and_hyper() -> None:
    seen = []

    def tracer(cls, inputs, hyper):
        token = block_tracer.set(None)
        try:
            out = cls.apply(*inputs, **hyper)
        finally:
            block_tracer.reset(token)
        seen.append((cls.__name__, inputs, hyper))
        return out

    x = nb.tensor(np.arange(6.0).reshape(2, 3))
    token = block_tracer.set(tracer)
    try:
        y = F.leaky_relu(x - 2.0, 0.5).sum(dim=1)
    finally:
        block_tracer.reset(token)
    assert [name for name, _, _ in seen] == ["SubBlock", "LeakyReLUBlock", "SumBlock"]
    assert seen[0][1][0] is x and seen[0][1][1] == 2.0
    assert seen[1][2] == {"negative_slope": 0.5}
    np.testing.assert_allclose(y.array, [-1.0 - 0.5 + 0.0, 1.0 + 2.0 + 3.0])
    assert block_tracer.get() is None
    F.relu(x)                                          # untraced now
    assert len(seen) == 3
