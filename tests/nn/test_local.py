"""nn.LocallyConnected1d/2d: naive-loop references, gradient checks, layout, init and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.references.conv_loops import local1d_loop, local2d_loop


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       size=st.tuples(st.integers(3, 6), st.integers(3, 6)),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.integers(0, 1), bias=st.booleans(), seed=st.integers(0, 2**31))
def test_locally_connected2d_matches_loops(batch, c_in, c_out, size, kernel, stride, padding,
                                           bias, seed) -> None:
    rng = np.random.default_rng(seed)
    layer = nn.LocallyConnected2d(c_in, c_out, size, kernel, stride, padding, bias=bias,
                                  rng=rng).double()
    x = rng.standard_normal((batch, c_in, *size))
    b = None if layer.bias is None else layer.bias.array
    expected = local2d_loop(x, layer.weight.array, b, stride, (padding, padding))
    np.testing.assert_allclose(layer(nb.tensor(x)).array, expected, rtol=1e-10, atol=1e-12)


def test_locally_connected1d_matches_loops(rng) -> None:
    layer = nn.LocallyConnected1d(3, 4, 11, 3, stride=2, padding=1, rng=rng).double()
    x = rng.standard_normal((2, 3, 11))
    expected = local1d_loop(x, layer.weight.array, layer.bias.array, 2, 1)
    np.testing.assert_allclose(layer(nb.tensor(x)).array, expected, rtol=1e-10, atol=1e-12)
    assert layer.weight.shape == (6, 4, 3, 3) and layer.bias.shape == (4, 6)


def test_locally_connected_filters_are_not_shared(rng) -> None:
    """Changing the filter of one output position changes only that position's output."""
    layer = nn.LocallyConnected2d(2, 3, (5, 4), 3, padding="same", rng=rng).double()
    x = nb.tensor(rng.standard_normal((1, 2, 5, 4)))
    before = layer(x).array.copy()
    layer.weight.array[2, 1] += 1.0
    changed = np.abs(layer(x).array - before).sum(axis=(0, 1)) > 0
    expected = np.zeros((5, 4), dtype=bool)
    expected[2, 1] = True
    np.testing.assert_array_equal(changed, expected)


def test_locally_connected_equals_conv_when_weights_are_tied(rng) -> None:
    conv = nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1, rng=rng).double()
    local = nn.LocallyConnected2d(2, 3, (6, 5), (3, 2), stride=(1, 2), padding=1).double()
    ho, wo = local.output_size
    local.weight.array[...] = conv.weight.array                         # every position alike
    local.bias.array[...] = conv.bias.array[:, None, None]
    x = nb.tensor(rng.standard_normal((2, 2, 6, 5)))
    np.testing.assert_allclose(local(x).array, conv(x).array, rtol=1e-12, atol=1e-12)
    assert (ho, wo) == conv(x).shape[2:]


@pytest.mark.parametrize("module, shape", [
    (lambda: nn.LocallyConnected2d(2, 3, (4, 5), (2, 3), stride=(1, 2), padding=1), (2, 2, 4, 5)),
    (lambda: nn.LocallyConnected1d(2, 2, 7, 3, stride=2, bias=False), (2, 2, 7)),
])
def test_locally_connected_module_gradcheck(module, shape, rng) -> None:
    x = nb.tensor(rng.standard_normal(shape), requires_grad=True)
    assert nb.testing.check_module(module(), x, rng=rng)


def test_locally_connected_init_and_float32(rng) -> None:
    layer = nn.LocallyConnected2d(4, 8, 10, 3, rng=rng)
    bound = 1 / math.sqrt(4 * 3 * 3)
    assert layer.weight.shape == (8, 8, 8, 4, 3, 3) and layer.weight.dtype == np.float32
    assert np.abs(layer.weight.array).max() <= bound
    assert np.abs(layer.bias.array).max() <= bound
    x = nb.tensor(rng.standard_normal((2, 4, 10, 10)).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == layer.weight.grad.dtype == np.float32


def test_locally_connected_errors_name_the_layer() -> None:
    layer = nn.LocallyConnected2d(1, 2, 8, 3)
    with pytest.raises(ValueError, match=r"LocallyConnected2d\(1, 2, input_size=\(8, 8\).*input "
                                         r"of spatial size \(9, 8\) gives \(7, 6\) output "
                                         r"positions, but the weight \(6, 6, 2, 1, 3, 3\) was "
                                         r"built for \(6, 6\)"):
        layer(nb.tensor(np.zeros((1, 1, 9, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"LocallyConnected2d.*input has 3 channels, weight "
                                         r"expects 1"):
        layer(nb.tensor(np.zeros((1, 3, 8, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"LocallyConnected2d: input of spatial size \(2, 2\) "
                                         r"\(padded \(2, 2\)\) is smaller than the kernel's "
                                         r"reach \(3, 3\)"):
        nn.LocallyConnected2d(1, 2, 2, 3)
