"""nn.init.trunc_normal_, orthogonal_ and eye_: PyTorch's distributions and properties (the
numbers themselves differ: another generator), drawn from ``generator=`` or nnblocks' default
generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.nn import init
from tests.conftest import import_torch


def _empty(*shape: int, dtype=np.float32) -> nb.Tensor:
    return nb.nn.Parameter(np.zeros(shape, dtype=dtype))


def _truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and variance of N(mean, std^2) truncated to [a, b] (closed form)."""
    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z):
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    shift = (pdf(al) - pdf(be)) / z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / z - shift ** 2)
    return mean + std * shift, var


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                             (1.0, 2.0, 0.0, 6.0)])
def test_trunc_normal_has_the_truncated_distribution(mean, std, a, b) -> None:
    t = _empty(400, 500)
    init.trunc_normal_(t, mean, std, a, b, generator=np.random.default_rng(0))
    x = t.array.astype(np.float64)
    assert t.dtype == np.float32 and x.min() >= a and x.max() <= b
    m, v = _truncated_moments(mean, std, a, b)
    assert abs(x.mean() - m) < 5 * math.sqrt(v / x.size)
    assert abs(x.var() / v - 1) < 0.02


def test_trunc_normal_moments_agree_with_torch_samples() -> None:
    torch = import_torch()
    theirs = torch.nn.init.trunc_normal_(torch.empty(200_000), 0.5, 1.0, -1.0, 1.5)
    ours = init.trunc_normal_(_empty(200_000), 0.5, 1.0, -1.0, 1.5)
    assert abs(float(theirs.mean()) - ours.array.mean()) < 0.01
    assert abs(float(theirs.std()) - ours.array.std()) < 0.01


def test_trunc_normal_draws_from_the_default_generator_or_generator() -> None:
    nb.manual_seed(5)
    a = init.trunc_normal_(_empty(3, 4)).array.copy()
    nb.manual_seed(5)
    b = init.trunc_normal_(_empty(3, 4)).array.copy()
    np.testing.assert_array_equal(a, b)
    c = init.trunc_normal_(_empty(3, 4), generator=nb.Generator().manual_seed(1)).array.copy()
    d = init.trunc_normal_(_empty(3, 4), generator=nb.Generator().manual_seed(1)).array.copy()
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (8, 2, 3, 3), (5, 5)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal_times_gain(shape, gain) -> None:
    t = init.orthogonal_(_empty(*shape, dtype=np.float64), gain, generator=np.random.default_rng(1))
    w = t.array.reshape(shape[0], -1)
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-10)


def test_orthogonal_matches_torchs_properties_and_refuses_vectors() -> None:
    torch = import_torch()
    theirs = torch.nn.init.orthogonal_(torch.empty(3, 7), gain=2.0)
    ours = init.orthogonal_(_empty(3, 7), gain=2.0)
    np.testing.assert_allclose(ours.array @ ours.array.T,
                               (theirs @ theirs.T).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"orthogonal_: only tensors with 2 or more dim"):
        init.orthogonal_(_empty(4))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_matches_torch(shape) -> None:
    torch = import_torch()
    ours = init.eye_(_empty(*shape))
    theirs = torch.nn.init.eye_(torch.empty(shape))
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    assert ours.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: init.eye_(_empty(2, 2, 2)), r"eye_: only tensors with 2 dimensions.*\(2, 2, 2\)"),
    (lambda: init.trunc_normal_(_empty(2), a=1.0, b=-1.0), r"trunc_normal_: .* a < b"),
    (lambda: init.trunc_normal_(_empty(2), 0.0, 1.0, 30.0, 31.0), "move the bounds"),
])
def test_errors_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()
