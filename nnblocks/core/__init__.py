"""The engine: tensors, blocks, and the backward pass. Knows nothing of any particular block.

``nnblocks.core.tensor`` is the module that defines :class:`Tensor`; the function that makes a
tensor is ``nnblocks.tensor`` (not re-exported here, so the two never share a name).
"""

from nnblocks.core.autograd import backward
from nnblocks.core.block import Block, Node
from nnblocks.core.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from nnblocks.core.tensor import DEFAULT_DTYPE, Tensor, as_tensor

__all__ = [
    "DEFAULT_DTYPE",
    "Block",
    "Node",
    "Tensor",
    "as_tensor",
    "backward",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "inference_mode",
    "is_inference_mode_enabled",
    "set_grad_enabled",
]
