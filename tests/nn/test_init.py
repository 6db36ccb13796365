"""nn.init: PyTorch's fans, gains and distributions, drawn from an explicit generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.nn import init
from tests.conftest import import_torch


def _empty(*shape: int, dtype=np.float32) -> nb.Tensor:
    return nb.nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("shape", [(3, 4), (8, 2, 3, 3), (5, 7, 2)])
def test_fans_match_torch(shape) -> None:
    torch = import_torch()
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(_empty(*shape)) == expected


def test_fans_need_two_dims() -> None:
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.calculate_fan_in_and_fan_out(_empty(4))


@pytest.mark.parametrize("args", [("linear",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("selu",), ("conv2d",)])
def test_gains_match_torch(args) -> None:
    torch = import_torch()
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


def _uniform_bound_and_std(t: nb.Tensor, bound: float) -> None:
    assert np.abs(t.array).max() <= bound
    assert np.abs(t.array).max() > 0.95 * bound
    assert t.array.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_uniform_inits_have_pytorchs_bounds(rng) -> None:
    t = _empty(200, 100)
    init.xavier_uniform_(t, gain=2.0, rng=rng)
    _uniform_bound_and_std(t, 2.0 * math.sqrt(6 / 300))
    init.kaiming_uniform_(t, a=math.sqrt(5), rng=rng)                # Linear's default
    _uniform_bound_and_std(t, 1 / math.sqrt(100))
    init.kaiming_uniform_(t, nonlinearity="relu", mode="fan_out", rng=rng)
    _uniform_bound_and_std(t, math.sqrt(2) * math.sqrt(3 / 200))
    init.uniform_(t, -0.5, 2.0, rng=rng)
    assert t.array.min() >= -0.5 and t.array.max() <= 2.0
    assert t.array.mean() == pytest.approx(0.75, abs=0.02)


def test_normal_inits_have_pytorchs_std(rng) -> None:
    t = _empty(200, 100, dtype=np.float64)
    init.xavier_normal_(t, rng=rng)
    assert t.array.std() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    init.kaiming_normal_(t, nonlinearity="relu", rng=rng)
    assert t.array.std() == pytest.approx(math.sqrt(2 / 100), rel=0.03)
    init.normal_(t, 1.0, 0.5, rng=rng)
    assert t.array.mean() == pytest.approx(1.0, abs=0.02)
    assert t.array.dtype == np.float64


def test_constant_zeros_ones_keep_dtype() -> None:
    t = _empty(2, 3)
    assert init.ones_(t) is t and np.all(t.array == 1) and t.dtype == np.float32
    init.constant_(t, 0.25)
    assert np.all(t.array == np.float32(0.25))
    init.zeros_(t)
    assert not t.array.any()


def test_inits_are_reproducible_and_use_the_default_generator() -> None:
    a, b = _empty(4, 4), _empty(4, 4)
    init.kaiming_uniform_(a, rng=np.random.default_rng(1))
    init.kaiming_uniform_(b, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.array, b.array)
    nb.manual_seed(3)
    init.normal_(a)
    nb.manual_seed(3)
    init.normal_(b)
    np.testing.assert_array_equal(a.array, b.array)


def test_kaiming_mode_error() -> None:
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(_empty(2, 2), mode="fan_avg")
