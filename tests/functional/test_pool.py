"""Pooling internals: what is saved, NaN, output sizes in ceil mode, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.functional.pool import MaxPool2dBlock
from tests.conftest import import_torch


def test_max_pool_saves_a_small_argmax_not_the_input(rng) -> None:
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    y, saved = MaxPool2dBlock.forward(x, kernel_size=2)
    arg = saved[0]
    assert arg.dtype == np.int8 and arg.shape == y.shape
    assert not any(s is x for s in saved)
    _, saved = MaxPool2dBlock.forward(x, kernel_size=2, needs_input_grad=(False,))
    assert saved[0] is None                                  # inference keeps nothing


def test_pooling_propagates_nan_like_torch() -> None:
    torch = import_torch()
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    for ours, theirs in [(F.max_pool2d, torch.nn.functional.max_pool2d),
                         (F.avg_pool2d, torch.nn.functional.avg_pool2d)]:
        np.testing.assert_array_equal(ours(nb.tensor(x), 2).array,
                                      theirs(torch.from_numpy(x), 2).numpy())


@pytest.mark.parametrize("size, kernel, stride, padding", [
    (5, 2, 2, 0), (6, 3, 2, 1), (7, 3, 3, 1), (4, 4, 3, 2), (10, 3, 4, 0), (1, 1, 2, 0),
])
def test_ceil_mode_output_size_matches_torch(size, kernel, stride, padding) -> None:
    torch = import_torch()
    x = np.zeros((1, 1, size, size + 1))
    for ours, theirs in [(F.max_pool2d, torch.nn.functional.max_pool2d),
                         (F.avg_pool2d, torch.nn.functional.avg_pool2d)]:
        got = ours(nb.tensor(x), kernel, stride, padding, ceil_mode=True).shape
        want = theirs(torch.from_numpy(x), kernel, stride, padding, ceil_mode=True).shape
        assert got == tuple(want)


@pytest.mark.parametrize("call, message", [
    (lambda x: F.max_pool2d(x, 0), r"max_pool2d: kernel_size must be >= 1, got 0"),
    (lambda x: F.max_pool2d(x, 2, padding=2), r"max_pool2d: padding 2 should be at most half"),
    (lambda x: F.max_pool2d(x, (2, 2, 2)), r"max_pool2d: kernel_size must be an int or a tuple "
                                            r"of 2 ints"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), r"avg_pool2d: divisor_override must be"),
    (lambda x: F.max_pool1d(x, 2), r"max_pool1d: expected a 3-D input \(N, C, L\)"),
    (lambda x: F.adaptive_max_pool2d(x, (2, 2, 2)), r"adaptive_max_pool2d: output_size must be "
                                                    r"an int or a tuple of 2"),
    (lambda x: F.avg_pool2d(x, 6), r"avg_pool2d: input of spatial size \(5, 5\) is too small "
                                   r"for kernel_size \(6, 6\)"),
])
def test_pool_errors(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(nb.tensor(np.zeros((1, 2, 5, 5))))
