"""Block cases for the normalizations: BatchNorm (batch and running statistics), GroupNorm,
LayerNorm."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.norm import (
    BatchNormBlock,
    BatchNormEvalBlock,
    GroupNormBlock,
    LayerNormBlock,
    batch_norm,
    group_norm,
    layer_norm,
)
from nnblocks.functional.sync_norm import SyncBatchNormBlock
from tests.cases import Case


def _inputs(x_shape: tuple, param_shape: tuple | None, *extra: np.ndarray):
    """x (scaled and shifted so the statistics are not trivial), then weight and bias."""

    def make(rng: np.random.Generator) -> list:
        x = 1.5 * rng.standard_normal(x_shape) + 0.3
        out = [nb.tensor(x, requires_grad=True)]
        if param_shape is not None:
            out.append(nb.tensor(1 + 0.5 * rng.standard_normal(param_shape), requires_grad=True))
            out.append(nb.tensor(rng.standard_normal(param_shape), requires_grad=True))
        return out

    return make


def _running_inputs(x_shape: tuple, affine: bool = True):
    """x, running mean and variance (constants), then weight and bias when ``affine``."""

    def make(rng: np.random.Generator) -> list:
        c = x_shape[1]
        x = nb.tensor(rng.standard_normal(x_shape), requires_grad=True)
        mean = nb.tensor(rng.standard_normal(c))
        var = nb.tensor(0.5 + rng.random(c))
        if not affine:
            return [x, mean, var]
        return [x, mean, var, nb.tensor(rng.standard_normal(c), requires_grad=True),
                nb.tensor(rng.standard_normal(c), requires_grad=True)]

    return make


def _torch():
    import torch

    return torch


def _torch_batch_stats(x, w=None, b=None, eps=1e-5):
    dims = [0] + list(range(2, x.ndim))
    y = _torch().nn.functional.batch_norm(x, None, None, w, b, training=True, eps=eps)
    return y, x.mean(dims), x.var(dims, unbiased=False)


def _batch_stats(x, w=None, b=None):
    return BatchNormBlock.apply(x, w, b, eps=1e-5)


def _batch_norm_reference(x, w, b):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(dims)
    var = x.var(dims)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5)
    return y * w.reshape(shape) + b.reshape(shape), mean, var


def _group_norm_loop(x, w, b, groups=2, eps=1e-5):
    """The paper's TensorFlow code, transcribed: reshape to (N, G, C // G, ...), moments."""
    n, c = x.shape[:2]
    y = np.empty_like(x)
    size = c // groups
    for i in range(n):
        for g in range(groups):
            block = x[i, g * size:(g + 1) * size]
            y[i, g * size:(g + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + eps)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


def _sync_batch_norm(x, w, b):
    """One process: the reduction is the identity, so the result is plain batch norm."""
    return SyncBatchNormBlock.apply(x, w, b, eps=1e-5, reduce=lambda a: a)[:3]


CASES = [
    Case(SyncBatchNormBlock, "sync_batch_norm_one_process", _sync_batch_norm,
         _inputs((3, 2, 3, 2), (2,)), reference=_batch_norm_reference,
         torch_fn=_torch_batch_stats),
    Case(BatchNormBlock, "batch_norm_2d_input", _batch_stats, _inputs((5, 3), (3,)),
         reference=_batch_norm_reference, torch_fn=_torch_batch_stats),
    Case(BatchNormBlock, "batch_norm_4d_input", _batch_stats, _inputs((3, 2, 3, 2), (2,)),
         reference=_batch_norm_reference, torch_fn=_torch_batch_stats),
    Case(BatchNormBlock, "batch_norm_no_affine_3d",
         lambda x: BatchNormBlock.apply(x, None, None, eps=0.1),
         _inputs((2, 3, 4), None),
         torch_fn=lambda x: _torch_batch_stats(x, eps=0.1)),
    Case(BatchNormBlock, "batch_norm_wrapper_output_only",
         lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
         _inputs((4, 3, 2), (3,)),
         torch_fn=lambda x, w, b: _torch().nn.functional.batch_norm(x, None, None, w, b, True)),
    Case(BatchNormEvalBlock, "batch_norm_running_stats",
         lambda x, m, v, w, b: batch_norm(x, m.array, v.array, w, b, training=False, eps=1e-3),
         _running_inputs((3, 4, 2)),
         torch_fn=lambda x, m, v, w, b: _torch().nn.functional.batch_norm(
             x, m, v, w, b, training=False, eps=1e-3)),
    Case(BatchNormEvalBlock, "batch_norm_running_stats_no_affine",
         lambda x, m, v: batch_norm(x, m.array, v.array, training=False),
         _running_inputs((3, 4), affine=False),
         torch_fn=lambda x, m, v: _torch().nn.functional.batch_norm(x, m, v)),
    Case(GroupNormBlock, "group_norm_4d", lambda x, w, b: group_norm(x, 2, w, b),
         _inputs((2, 4, 3, 2), (4,)), reference=_group_norm_loop,
         torch_fn=lambda x, w, b: _torch().nn.functional.group_norm(x, 2, w, b)),
    Case(GroupNormBlock, "group_norm_3d_instance", lambda x, w, b: group_norm(x, 3, w, b, eps=0.01),
         _inputs((2, 3, 5), (3,)),
         torch_fn=lambda x, w, b: _torch().nn.functional.group_norm(x, 3, w, b, eps=0.01)),
    Case(GroupNormBlock, "group_norm_no_affine", lambda x: group_norm(x, 1),
         _inputs((3, 4, 2), None),
         torch_fn=lambda x: _torch().nn.functional.group_norm(x, 1)),
    Case(LayerNormBlock, "layer_norm_last", lambda x, w, b: layer_norm(x, 5, w, b),
         _inputs((2, 3, 5), (5,)),
         torch_fn=lambda x, w, b: _torch().nn.functional.layer_norm(x, (5,), w, b)),
    Case(LayerNormBlock, "layer_norm_last_two",
         lambda x, w, b: layer_norm(x, (3, 4), w, b, eps=0.1),
         _inputs((2, 3, 4), (3, 4)),
         torch_fn=lambda x, w, b: _torch().nn.functional.layer_norm(x, (3, 4), w, b, eps=0.1)),
    Case(LayerNormBlock, "layer_norm_no_affine", lambda x: layer_norm(x, (4,)),
         _inputs((3, 4), None),
         torch_fn=lambda x: _torch().nn.functional.layer_norm(x, (4,))),
]
