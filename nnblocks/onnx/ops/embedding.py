"""Embedding lookup as ``Gather(weight, indices, axis=0)``.

The integer ids are a graph input (int32 or int64, which Gather takes as they are).
``padding_idx`` and ``scale_grad_by_freq`` only change gradients, so inference needs nothing
more.
"""

from __future__ import annotations

from nnblocks.functional.embedding import EmbeddingBlock
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts


@converts(EmbeddingBlock)
def embedding(ctx: OpContext) -> str:
    r""":math:`y[\dots] = W[i[\dots]]`: one Gather over the table's rows."""
    return ctx.g.node("Gather", [ctx.input(1), ctx.input(0)], axis=0)
