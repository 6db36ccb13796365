"""Block cases for padding by reflection / replication / wrap-around and for interpolation
(nnblocks.functional.padding, nnblocks.functional.interpolate)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.interpolate import (
    InterpolateLinearBlock,
    InterpolateNearestBlock,
    interpolate,
)
from nnblocks.functional.padding import (
    CircularPadBlock,
    ReflectionPadBlock,
    ReplicationPadBlock,
    pad,
)
from tests.cases import Case


def _torch_f():
    import torch

    return torch.nn.functional


def _x(shape: tuple):
    def make(rng: np.random.Generator) -> list:
        return [nb.tensor(rng.standard_normal(shape), requires_grad=True)]

    return make


def _pad_case(block, mode: str, shape: tuple, widths: tuple) -> Case:
    return Case(block, f"pad_{mode}_{len(shape)}d_{'_'.join(map(str, widths))}",
                lambda x: pad(x, widths, mode=mode), _x(shape),
                torch_fn=lambda x: _torch_f().pad(x, widths, mode=mode))


def _resize_case(block, name: str, shape: tuple, **kwargs) -> Case:
    return Case(block, f"interpolate_{name}", lambda x: interpolate(x, **kwargs), _x(shape),
                torch_fn=lambda x: _torch_f().interpolate(x, **kwargs))


CASES = [
    _pad_case(ReflectionPadBlock, "reflect", (2, 3, 5), (2, 4)),
    _pad_case(ReflectionPadBlock, "reflect", (2, 2, 4, 5), (1, 3, 3, 0)),
    _pad_case(ReflectionPadBlock, "reflect", (1, 2, 3, 3, 4), (1, 2, 2, 1, 0, 1)),
    _pad_case(ReplicationPadBlock, "replicate", (3, 4), (3, 1)),
    _pad_case(ReplicationPadBlock, "replicate", (2, 2, 3, 4), (2, 0, 4, 1)),
    _pad_case(CircularPadBlock, "circular", (2, 2, 5), (5, 2)),
    _pad_case(CircularPadBlock, "circular", (1, 2, 3, 4), (1, 2, 3, 0)),
    _resize_case(InterpolateNearestBlock, "nearest_1d_scale", (2, 3, 5), scale_factor=2),
    _resize_case(InterpolateNearestBlock, "nearest_2d_size", (2, 2, 5, 4), size=(3, 7)),
    _resize_case(InterpolateNearestBlock, "nearest_2d_fraction", (1, 2, 4, 6),
                 scale_factor=(1.7, 0.6)),
    _resize_case(InterpolateNearestBlock, "nearest_exact_2d", (1, 2, 4, 5), size=(7, 3),
                 mode="nearest-exact"),
    _resize_case(InterpolateLinearBlock, "linear_1d", (2, 3, 5), size=8, mode="linear"),
    _resize_case(InterpolateLinearBlock, "bilinear_2d", (2, 2, 4, 5), scale_factor=1.5,
                 mode="bilinear"),
    _resize_case(InterpolateLinearBlock, "bilinear_2d_corners", (1, 2, 4, 5), size=(7, 3),
                 mode="bilinear", align_corners=True),
    _resize_case(InterpolateLinearBlock, "trilinear_3d", (1, 1, 3, 2, 4), size=(4, 3, 6),
                 mode="trilinear"),
]
