"""Block cases for locally connected layers (unshared convolutions).

PyTorch has no such layer: the reference is a naive loop, and ``torch_fn`` an equivalent
PyTorch computation (``unfold`` then one ``einsum`` over positions), which also checks every
gradient.
"""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.local import (
    LocallyConnected1dBlock,
    LocallyConnected2dBlock,
    locally_connected1d,
    locally_connected2d,
)
from tests.cases import Case
from tests.references.conv_loops import local1d_loop, local2d_loop


def _inputs(x_shape: tuple, w_shape: tuple, b_shape: tuple | None):
    def make(rng: np.random.Generator) -> list:
        out = [nb.tensor(rng.standard_normal(x_shape), requires_grad=True),
               nb.tensor(rng.standard_normal(w_shape), requires_grad=True)]
        if b_shape is not None:
            out.append(nb.tensor(rng.standard_normal(b_shape), requires_grad=True))
        return out

    return make


def torch_local2d(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """The same layer in PyTorch: im2col by ``unfold``, one filter bank per position."""
    import torch

    ho, wo, c_out = w.shape[:3]
    cols = torch.nn.functional.unfold(x, w.shape[4:], padding=padding, stride=stride)
    y = torch.einsum("lok,nkl->nol", w.reshape(ho * wo, c_out, -1), cols)
    y = y.reshape(x.shape[0], c_out, ho, wo)
    return y if b is None else y + b


def torch_local1d(x, w, b=None, stride=1, padding=0):
    y = torch_local2d(x[:, :, None], w[None, :, :, :, None, :],
                      None if b is None else b[:, None, :], (1, stride), (0, padding))
    return y[:, :, 0]


CASES = [
    Case(LocallyConnected2dBlock, "locally_connected2d_stride_pad",
         lambda *a: locally_connected2d(*a, stride=(1, 2), padding=1),
         _inputs((2, 3, 5, 6), (5, 4, 4, 3, 3, 2), (4, 5, 4)),
         reference=lambda x, w, b: local2d_loop(x, w, b, (1, 2), (1, 1)),
         torch_fn=lambda x, w, b: torch_local2d(x, w, b, (1, 2), (1, 1))),
    Case(LocallyConnected2dBlock, "locally_connected2d_no_bias",
         lambda *a: locally_connected2d(*a, stride=2),
         _inputs((1, 2, 6, 5), (3, 2, 3, 2, 2, 3), None),
         reference=lambda x, w: local2d_loop(x, w, None, (2, 2)),
         torch_fn=lambda x, w: torch_local2d(x, w, None, (2, 2))),
    Case(LocallyConnected1dBlock, "locally_connected1d_stride_pad",
         lambda *a: locally_connected1d(*a, stride=2, padding=1),
         _inputs((2, 3, 9), (5, 4, 3, 3), (4, 5)),
         reference=lambda x, w, b: local1d_loop(x, w, b, 2, 1),
         torch_fn=lambda x, w, b: torch_local1d(x, w, b, 2, 1)),
]
