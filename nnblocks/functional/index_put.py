"""Assignment into part of a tensor as a block, so ``y[index] = v`` can be recorded.

``Tensor.__setitem__`` on a tensor of the graph (or with a value that needs a gradient) runs
:class:`IndexPutBlock` through the in-place machinery of :mod:`nnblocks.core.tensor_inplace`:
the tensor keeps its identity and array, and its ``grad_fn`` becomes this block, as PyTorch's
``CopySlices``. The common case is an RNN filling a preallocated output, ``out[t] = h``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.core.tensor_inplace import unwrap_index

Array = np.ndarray


class IndexPutBlock(Block):
    r"""``y = x`` with ``y[index] = v`` (``v`` broadcast to the indexed shape).

    .. math::
        g_x = g_y \text{ with } g_y[\text{index}] = 0, \qquad
        g_v = g_y[\text{index}] \text{ (summed back to } v\text{'s shape by the core)}

    With repeated advanced indices the last write wins in the forward (NumPy's rule; PyTorch
    leaves it undefined) and every occurrence sends its gradient to ``v``.

    Shapes:
        x: ``(*)``; v: broadcastable to ``x[index].shape``; y: x's shape.
    """

    saved_inputs = ()                  # saves the index only

    @staticmethod
    def forward(x: Array, v: Any, *, index: Any) -> tuple[Array, tuple]:
        y = x.copy()                                              # x.shape
        try:
            y[index] = v
        except (IndexError, ValueError) as e:
            raise type(e)(f"setitem: {e} (tensor of shape {x.shape}, value of shape "
                          f"{np.shape(v)})") from None
        return y, (index,)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        (index,) = saved
        gx = gy.copy()                                            # x.shape
        gx[index] = 0
        return gx, gy[index]


def index_put(x: Any, index: Any, value: Any) -> Tensor:
    """``x`` with ``x[index] = value``, out of place (:class:`IndexPutBlock`)."""
    return IndexPutBlock.apply(x, value, index=unwrap_index(index))
