"""Block cases for pooling: max, average and adaptive, 1-D and 2-D.

Max-pooling inputs are distinct values at least 0.01 apart, so no window has a tie (PyTorch and
nnblocks agree on ties too, but a finite difference across a tie has no single answer).
"""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.adaptive_pool import (
    AdaptiveAvgPool1dBlock,
    AdaptiveAvgPool2dBlock,
    AdaptiveMaxPool1dBlock,
    AdaptiveMaxPool2dBlock,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from nnblocks.functional.pool import (
    AvgPool1dBlock,
    AvgPool2dBlock,
    MaxPool1dBlock,
    MaxPool2dBlock,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from tests.cases import Case
from tests.references.conv_loops import max_pool2d_loop


def _normal(shape: tuple):
    return lambda rng: [nb.tensor(rng.standard_normal(shape), requires_grad=True)]


def _distinct(shape: tuple):
    """Values a permutation of 0.01 * (0 .. n-1), shifted: no ties in any window."""
    def make(rng: np.random.Generator) -> list:
        n = int(np.prod(shape))
        values = (rng.permutation(n) - n / 2) * 0.01
        return [nb.tensor(values.reshape(shape), requires_grad=True)]

    return make


def _torch(name: str, **hyper):
    def fn(x):
        import torch

        return getattr(torch.nn.functional, name)(x, **hyper)

    return fn


def _case(block, fn, name: str, torch_name: str, make, reference=None, **hyper) -> Case:
    return Case(block, name, lambda x: fn(x, **hyper), make, reference=reference,
                torch_fn=_torch(torch_name, **hyper))


CASES = [
    _case(MaxPool2dBlock, max_pool2d, "max_pool2d_2x2", "max_pool2d", _distinct((2, 3, 6, 5)),
          reference=lambda x: max_pool2d_loop(x, (2, 2), (2, 2))[0], kernel_size=2),
    _case(MaxPool2dBlock, max_pool2d, "max_pool2d_k3_s2_pad1_indices", "max_pool2d",
          _distinct((2, 2, 7, 6)),
          reference=lambda x: max_pool2d_loop(x, (3, 3), (2, 2), (1, 1)),
          kernel_size=3, stride=2, padding=1, return_indices=True),
    _case(MaxPool2dBlock, max_pool2d, "max_pool2d_overlap_dilation_ceil", "max_pool2d",
          _distinct((1, 2, 7, 8)), kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1),
          ceil_mode=True),
    _case(MaxPool2dBlock, max_pool2d, "max_pool2d_unbatched", "max_pool2d", _distinct((2, 5, 5)),
          kernel_size=2, stride=1),
    _case(MaxPool1dBlock, max_pool1d, "max_pool1d_pad_ceil_indices", "max_pool1d",
          _distinct((2, 3, 10)), kernel_size=3, stride=2, padding=1, ceil_mode=True,
          return_indices=True),
    _case(MaxPool1dBlock, max_pool1d, "max_pool1d_unbatched", "max_pool1d", _distinct((3, 9)),
          kernel_size=2),
    _case(AvgPool2dBlock, avg_pool2d, "avg_pool2d_2x2", "avg_pool2d", _normal((2, 3, 6, 5)),
          kernel_size=2),
    _case(AvgPool2dBlock, avg_pool2d, "avg_pool2d_pad_ceil_exclude_pad", "avg_pool2d",
          _normal((2, 2, 7, 6)), kernel_size=3, stride=2, padding=1, ceil_mode=True,
          count_include_pad=False),
    _case(AvgPool2dBlock, avg_pool2d, "avg_pool2d_include_pad_divisor", "avg_pool2d",
          _normal((1, 2, 6, 7)), kernel_size=(3, 2), stride=(1, 2), padding=(1, 1),
          divisor_override=4),
    _case(AvgPool1dBlock, avg_pool1d, "avg_pool1d_pad_ceil", "avg_pool1d", _normal((2, 3, 10)),
          kernel_size=4, stride=3, padding=2, ceil_mode=True),
    _case(AdaptiveAvgPool2dBlock, adaptive_avg_pool2d, "adaptive_avg_pool2d_overlapping",
          "adaptive_avg_pool2d", _normal((2, 3, 7, 5)), output_size=(3, 4)),
    _case(AdaptiveAvgPool2dBlock, adaptive_avg_pool2d, "adaptive_avg_pool2d_global_none",
          "adaptive_avg_pool2d", _normal((2, 3, 4, 5)), output_size=(1, None)),
    _case(AdaptiveAvgPool1dBlock, adaptive_avg_pool1d, "adaptive_avg_pool1d", "adaptive_avg_pool1d",
          _normal((2, 3, 7)), output_size=3),
    _case(AdaptiveMaxPool2dBlock, adaptive_max_pool2d, "adaptive_max_pool2d_overlapping_indices",
          "adaptive_max_pool2d", _distinct((2, 3, 7, 5)), output_size=(3, 4),
          return_indices=True),
    _case(AdaptiveMaxPool2dBlock, adaptive_max_pool2d, "adaptive_max_pool2d_divisible",
          "adaptive_max_pool2d", _distinct((2, 2, 6, 4)), output_size=(3, 1)),
    _case(AdaptiveMaxPool1dBlock, adaptive_max_pool1d, "adaptive_max_pool1d", "adaptive_max_pool1d",
          _distinct((2, 3, 7)), output_size=4),
]
