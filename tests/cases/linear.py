"""Block cases for the affine units: Linear, Rosenblatt's threshold unit, maxout layers."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.linear import (
    LinearBlock,
    MaxoutLinearBlock,
    PerceptronBlock,
    linear,
    maxout_linear,
    perceptron,
)
from tests.cases import Case


def _inputs(x_shape: tuple, w_shape: tuple, b_shape: tuple | None, grad: bool = True):
    def make(rng: np.random.Generator) -> list:
        out = [nb.tensor(rng.standard_normal(x_shape), requires_grad=grad),
               nb.tensor(rng.standard_normal(w_shape), requires_grad=grad)]
        if b_shape is not None:
            out.append(nb.tensor(rng.standard_normal(b_shape), requires_grad=grad))
        return out

    return make


def _torch_f():
    import torch

    return torch.nn.functional


def _perceptron_loop(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty(len(flat))
    for n, row in enumerate(flat):
        total = float(b)
        for i, value in enumerate(row):
            total += w[i] * value
        out[n] = 1.0 if total > 0.25 else -1.0
    return out.reshape(x.shape[:-1])


def _maxout_loop(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out_features, pieces, _ = w.shape
    flat = x.reshape(-1, x.shape[-1])
    y = np.empty((len(flat), out_features))
    for m, row in enumerate(flat):
        for o in range(out_features):
            best = -np.inf
            for j in range(pieces):
                z = float(w[o, j] @ row) + (0.0 if b is None else b[o, j])
                best = max(best, z)
            y[m, o] = best
    return y.reshape(*x.shape[:-1], out_features)


def _torch_maxout(x, w, b=None):
    out_features, pieces, d = w.shape
    z = x @ w.reshape(out_features * pieces, d).T
    z = z.reshape(*x.shape[:-1], out_features, pieces)
    if b is not None:
        z = z + b
    return z.amax(-1)


CASES = [
    Case(LinearBlock, "linear_2d", linear, _inputs((3, 4), (5, 4), (5,)),
         reference=lambda x, w, b: x @ w.T + b,
         torch_fn=lambda x, w, b: _torch_f().linear(x, w, b)),
    Case(LinearBlock, "linear_leading_dims_no_bias", linear, _inputs((2, 3, 4), (2, 4), None),
         reference=lambda x, w: x @ w.T, torch_fn=lambda x, w: _torch_f().linear(x, w)),
    Case(LinearBlock, "linear_1d_input", linear, _inputs((4,), (3, 4), (3,)),
         torch_fn=lambda x, w, b: _torch_f().linear(x, w, b)),
    Case(PerceptronBlock, "perceptron_threshold_unit",
         lambda x, w, b: perceptron(x, w, b, threshold=0.25),
         _inputs((2, 5, 3), (3,), (), grad=False), reference=_perceptron_loop, gradcheck=False,
         note="a step function: zero gradient almost everywhere; trained by Rosenblatt's rule"),
    Case(MaxoutLinearBlock, "maxout_linear", maxout_linear, _inputs((2, 3, 4), (3, 2, 4), (3, 2)),
         reference=_maxout_loop, torch_fn=_torch_maxout),
    Case(MaxoutLinearBlock, "maxout_linear_no_bias_1d", maxout_linear,
         _inputs((5,), (2, 3, 5), None), reference=_maxout_loop, torch_fn=_torch_maxout),
]
