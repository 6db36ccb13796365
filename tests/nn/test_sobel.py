"""The Sobel preset: a fixed Conv2d whose two channels are horizontal and vertical edges."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks import nn
from tests.references.conv_loops import sobel_loop


def test_sobel_module_matches_a_double_loop(rng) -> None:
    images = rng.standard_normal((3, 1, 7, 9)).astype(np.float32)
    y = nn.sobel()(nb.tensor(images))
    assert y.shape == (3, 2, 7, 9) and y.dtype == np.float32
    for n in range(3):
        np.testing.assert_allclose(y.array[n], sobel_loop(images[n, 0].astype(np.float64)),
                                   rtol=1e-5, atol=1e-5)


def test_sobel_kernels_and_fixed_weights() -> None:
    edges = nn.sobel(in_channels=1)
    np.testing.assert_array_equal(edges.weight.array[0, 0], [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(edges.weight.array[1, 0], edges.weight.array[0, 0].T)
    assert edges.bias is None and not edges.weight.requires_grad
    assert edges.num_parameters(trainable_only=True) == 0
    x = nb.tensor(np.ones((1, 1, 4, 4), dtype=np.float32), requires_grad=True)
    edges(x).sum().backward()
    assert edges.weight.grad is None and x.grad.shape == (1, 1, 4, 4)


def test_sobel_finds_vertical_and_horizontal_edges() -> None:
    step = np.zeros((1, 1, 6, 6))
    step[..., :, 3:] = 1.0                                             # a vertical edge
    y = F.sobel(nb.tensor(step), padding=0).array[0]                    # (2, 4, 4)
    assert np.all(y[1] == 0) and np.all(y[0][:, 1:3] == -4) and np.all(y[0][:, [0, 3]] == 0)
    y_t = F.sobel(nb.tensor(step.transpose(0, 1, 3, 2).copy()), padding=0).array[0]
    np.testing.assert_array_equal(y_t[1], y[0].T)                      # and a horizontal one
    assert np.all(y_t[0] == 0)


def test_sobel_of_several_channels_is_the_sobel_of_their_mean(rng) -> None:
    rgb = rng.standard_normal((2, 3, 5, 6))
    mean = rgb.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(nn.sobel(3, dtype=np.float64)(nb.tensor(rgb)).array,
                               F.sobel(nb.tensor(mean)).array, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"sobel: expected a 4-D input"):
        F.sobel(nb.tensor(np.zeros((5, 5))))
