"""Block cases for the activations: element-wise non-linearities, softmax, maxout."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional import activation as act
from tests.cases import Case


def _x(*shape: int):
    """Inputs kept at least 0.05 away from 0, where ReLU/LeakyReLU/ELU have their kink."""

    def make(rng: np.random.Generator) -> list:
        x = rng.standard_normal(shape)
        x = np.sign(x) * (0.05 + np.abs(x))
        return [nb.tensor(x, requires_grad=True)]

    return make


def _torch_f():
    import torch

    return torch.nn.functional


def _maxout_loop(z: np.ndarray, dim: int) -> np.ndarray:
    moved = np.moveaxis(z, dim, -1)
    out = np.empty(moved.shape[:-1])
    for idx in np.ndindex(*out.shape):
        best = -np.inf
        for value in moved[idx]:
            best = max(best, value)
        out[idx] = best
    return out


CASES = [
    Case(act.SigmoidBlock, "sigmoid", act.sigmoid, _x(3, 4),
         reference=lambda x: 1 / (1 + np.exp(-x)), torch_fn=lambda x: x.sigmoid()),
    Case(act.TanhBlock, "tanh", act.tanh, _x(3, 4), reference=np.tanh, torch_fn=lambda x: x.tanh()),
    Case(act.ReLUBlock, "relu", act.relu, _x(3, 4), reference=lambda x: np.maximum(x, 0),
         torch_fn=lambda x: x.relu()),
    Case(act.LeakyReLUBlock, "leaky_relu", lambda x: act.leaky_relu(x, 0.2), _x(3, 4),
         torch_fn=lambda x: _torch_f().leaky_relu(x, 0.2)),
    Case(act.ELUBlock, "elu", lambda x: act.elu(x, 0.7), _x(3, 4),
         reference=lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1)),
         torch_fn=lambda x: _torch_f().elu(x, 0.7)),
    Case(act.SoftplusBlock, "softplus_threshold",
         lambda x: act.softplus(3 * x, beta=2.0, threshold=3.0),
         _x(4, 5), torch_fn=lambda x: _torch_f().softplus(3 * x, beta=2.0, threshold=3.0)),
    Case(act.SoftplusBlock, "softplus", act.softplus, _x(4, 5),
         reference=lambda x: np.log1p(np.exp(x)), torch_fn=lambda x: _torch_f().softplus(x)),
    Case(act.GELUBlock, "gelu", lambda x: act.gelu(3 * x), _x(4, 5),
         torch_fn=lambda x: _torch_f().gelu(3 * x)),
    Case(act.GELUBlock, "gelu_tanh", lambda x: act.gelu(2 * x, approximate="tanh"), _x(4, 5),
         torch_fn=lambda x: _torch_f().gelu(2 * x, approximate="tanh")),
    Case(act.SoftmaxBlock, "softmax_dim1", lambda x: act.softmax(x, dim=1), _x(2, 4, 3),
         torch_fn=lambda x: x.softmax(1)),
    Case(act.SoftmaxBlock, "softmax_dim_last", lambda x: act.softmax(x, dim=-1), _x(3, 5),
         reference=lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
         torch_fn=lambda x: x.softmax(-1)),
    Case(act.LogSoftmaxBlock, "log_softmax_dim0", lambda x: act.log_softmax(x, dim=0), _x(4, 2, 3),
         torch_fn=lambda x: x.log_softmax(0)),
    Case(act.LogSoftmaxBlock, "log_softmax_1d", lambda x: act.log_softmax(x, dim=0), _x(6),
         reference=lambda x: x - np.log(np.exp(x).sum()), torch_fn=lambda x: x.log_softmax(0)),
    Case(act.MaxoutBlock, "maxout_pieces_last", lambda z: act.maxout(z, dim=-1), _x(3, 4, 3),
         reference=lambda z: _maxout_loop(z, -1), torch_fn=lambda z: z.amax(-1)),
    Case(act.MaxoutBlock, "maxout_pieces_dim1", lambda z: act.maxout(z, dim=1), _x(2, 4, 5),
         reference=lambda z: _maxout_loop(z, 1)),
]
