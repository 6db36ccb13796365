"""nn.Linear, nn.Identity and nn.Maxout: PyTorch parity, initialization, errors, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


@settings(max_examples=15, deadline=None)
@given(
    batch=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    in_features=st.integers(1, 7),
    out_features=st.integers(1, 6),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_linear_matches_torch(batch, in_features, out_features, bias, seed) -> None:
    torch = import_torch()
    torch.manual_seed(seed)
    theirs = torch.nn.Linear(in_features, out_features, bias=bias)
    ours = nn.Linear(in_features, out_features, bias=bias)
    x = np.random.default_rng(seed).standard_normal((*batch, in_features))
    assert_module_parity(ours, theirs, x, seed=seed)


def test_linear_init_follows_pytorch(rng) -> None:
    layer = nn.Linear(50, 400, rng=rng)
    bound = 1 / math.sqrt(50)
    assert layer.weight.dtype == np.float32 and layer.weight.shape == (400, 50)
    assert np.abs(layer.weight.array).max() <= bound
    assert np.abs(layer.bias.array).max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3): 20,000 draws pin it to within 2%
    assert layer.weight.array.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.abs(layer.weight.array).max() > 0.95 * bound


def test_linear_init_is_reproducible_from_rng() -> None:
    a = nn.Linear(3, 4, rng=np.random.default_rng(5))
    b = nn.Linear(3, 4, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.array, b.weight.array)
    np.testing.assert_array_equal(a.bias.array, b.bias.array)


def test_linear_float32_end_to_end(rng) -> None:
    layer = nn.Linear(4, 3, rng=rng)
    x = nb.tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_linear_float64_dtype_option() -> None:
    layer = nn.Linear(2, 2, dtype=np.float64)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64


def test_linear_repr_and_parameters() -> None:
    assert repr(nn.Linear(10, 16)) == "Linear(in_features=10, out_features=16, bias=True)"
    layer = nn.Linear(10, 16, bias=False)
    assert repr(layer) == "Linear(in_features=10, out_features=16, bias=False)"
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    assert nn.Linear(10, 16).num_parameters() == 10 * 16 + 16


def test_linear_wrong_feature_count_names_layer_and_shapes() -> None:
    layer = nn.Linear(5, 16)
    with pytest.raises(ValueError, match=r"Linear\(in_features=5.*3 features.*\(4, 3\).*5"):
        layer(nb.tensor(np.zeros((4, 3))))


def test_functional_linear_errors() -> None:
    F = nb.functional
    with pytest.raises(ValueError, match=r"linear: input has 3 features .* expects 5"):
        F.linear(nb.tensor(np.zeros((2, 3))), nb.tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"linear: bias has shape \(3,\), expected \(4,\)"):
        F.linear(nb.tensor(np.zeros((2, 5))), nb.tensor(np.zeros((4, 5))),
                 nb.tensor(np.zeros(3)))


def test_linear_check_module(rng) -> None:
    assert nb.testing.check_module(nn.Linear(3, 2, rng=rng), nb.tensor(rng.standard_normal((4, 3))))


def test_identity_returns_its_input() -> None:
    x = nb.tensor([1.0, 2.0])
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


def _maxout_loop(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((len(x), w.shape[0]))
    for n in range(len(x)):
        for o in range(w.shape[0]):
            out[n, o] = max(float(w[o, j] @ x[n] + b[o, j]) for j in range(w.shape[1]))
    return out


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(1, 5), out=st.integers(1, 4), k=st.integers(1, 4),
       seed=st.integers(0, 2**31))
def test_maxout_matches_naive_loop(n, d, out, k, seed) -> None:
    rng = np.random.default_rng(seed)
    layer = nn.Maxout(d, out, k, rng=rng).double()
    x = rng.standard_normal((n, d))
    y = layer(nb.tensor(x))
    np.testing.assert_allclose(y.array, _maxout_loop(x, layer.weight.array, layer.bias.array),
                               rtol=1e-12, atol=1e-12)


def test_maxout_module(rng) -> None:
    layer = nn.Maxout(4, 3, num_pieces=2, rng=rng)
    assert layer.weight.shape == (3, 2, 4) and layer.bias.shape == (3, 2)
    assert repr(layer) == "Maxout(in_features=4, out_features=3, num_pieces=2, bias=True)"
    assert np.abs(layer.weight.array).max() <= 0.5
    assert nb.testing.check_module(layer, nb.tensor(rng.standard_normal((5, 4))))
    with pytest.raises(ValueError, match=r"Maxout\(in_features=4.*2 features"):
        layer(nb.tensor(np.zeros((1, 2))))
    with pytest.raises(ValueError, match="num_pieces"):
        nn.Maxout(4, 3, 0)


def test_maxout_with_one_piece_is_linear(rng) -> None:
    layer = nn.Maxout(3, 2, 1, rng=rng).double()
    x = rng.standard_normal((4, 3))
    expected = x @ layer.weight.array[:, 0].T + layer.bias.array[:, 0]
    np.testing.assert_allclose(layer(nb.tensor(x)).array, expected, rtol=1e-12)
