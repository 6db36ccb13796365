"""nn.Flatten: PyTorch's defaults and shapes, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch


@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (1, 2), (2, 3), (-3, -2)])
def test_flatten_matches_torch(start, end, rng) -> None:
    torch = import_torch()
    x = rng.standard_normal((2, 3, 4, 5))
    ours, theirs = nn.Flatten(start, end), torch.nn.Flatten(start, end)
    xt = nb.tensor(x, requires_grad=True)
    y = ours(xt)
    assert y.shape == tuple(theirs(torch.from_numpy(x)).shape)
    np.testing.assert_array_equal(y.array, theirs(torch.from_numpy(x)).numpy())
    y.backward(np.arange(y.numel(), dtype=np.float64).reshape(y.shape))
    np.testing.assert_array_equal(xt.grad.array.ravel(), np.arange(x.size))
    assert repr(ours) == repr(theirs)


def test_flatten_errors_name_the_layer() -> None:
    with pytest.raises(IndexError, match=r"Flatten\(start_dim=1, end_dim=-1\): start_dim=1 is "
                                         r"out of range for an input with 1 dims"):
        nn.Flatten()(nb.tensor(np.zeros(4)))
