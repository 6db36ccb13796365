"""Activation blocks beyond the table: extreme inputs, dtypes, erf accuracy, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.functional.activation import erf
from tests.conftest import import_torch

EXTREME = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_stable_at_1e4(dtype) -> None:
    torch = import_torch()
    x = nb.tensor(EXTREME.astype(dtype), requires_grad=True)
    p = F.softmax(x, dim=1)
    logp = F.log_softmax(x, dim=1)
    assert p.dtype == dtype and logp.dtype == dtype
    np.testing.assert_allclose(p.array, [[1, 0, 0], [1 / 3] * 3, [0.5, 0.5, 0]], atol=1e-7)
    np.testing.assert_allclose(logp.array[0], [0.0, -1e4, -2e4])
    assert np.all(np.isfinite(logp.array))
    (p.sum() + logp.sum()).backward()
    assert np.all(np.isfinite(x.grad))
    t = torch.from_numpy(EXTREME.astype(dtype))
    np.testing.assert_allclose(logp.array, t.log_softmax(1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(p.array, t.softmax(1).numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [F.sigmoid, F.tanh, F.relu, F.elu, F.softplus, F.gelu,
                                lambda x: F.gelu(x, "tanh"), lambda x: F.leaky_relu(x, 0.1)],
                         ids=["sigmoid", "tanh", "relu", "elu", "softplus", "gelu", "gelu_tanh",
                              "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_activations_keep_dtype_and_survive_extremes(fn, dtype) -> None:
    x = nb.tensor(np.array([-1e4, -50.0, -1.0, 0.5, 50.0, 1e4], dtype=dtype), requires_grad=True)
    y = fn(x)                                            # warnings are errors: no overflow
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y.array)) and np.all(np.isfinite(x.grad))


def test_extremes_match_torch() -> None:
    torch = import_torch()
    x = np.array([-1e4, -30.0, -3.0, 0.0, 3.0, 30.0, 1e4])
    t = torch.from_numpy(x)
    tf = torch.nn.functional
    for ours, theirs in [(F.sigmoid, torch.sigmoid), (F.softplus, tf.softplus),
                         (F.elu, tf.elu), (F.gelu, tf.gelu)]:
        np.testing.assert_allclose(ours(nb.tensor(x)).array, theirs(t).numpy(), rtol=1e-12,
                                   atol=1e-300)


def test_erf_matches_math_erf_to_a_few_ulp() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-12, 5.999, 6.0, 6.001]])
    expected = np.array([math.erf(v) for v in x])
    got = erf(x)
    err = np.abs(got - expected)
    assert np.all(err <= 4e-15 * np.maximum(np.abs(expected), 1e-300))
    assert erf(np.array(0.0)) == 0.0
    x32 = x.astype(np.float32)
    assert erf(x32).dtype == np.float32
    np.testing.assert_allclose(erf(x32), [math.erf(v) for v in x32.astype(float)], atol=3e-7)


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(nb.tensor([1.0]), approximate="erf")


def test_softmax_dim_out_of_range() -> None:
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range"):
        F.softmax(nb.tensor(np.zeros((2, 3))), dim=2)


def test_relu_gradient_at_zero_is_zero_and_elu_gradient_at_zero_is_alpha() -> None:
    x = nb.tensor(np.zeros(2), requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    x.grad = None
    F.elu(x, alpha=0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])


def test_maxout_sends_gradient_to_the_winning_piece() -> None:
    z = nb.tensor(np.array([[1.0, 3.0, 2.0], [5.0, -1.0, 0.0]]), requires_grad=True)
    y = F.maxout(z, dim=1)
    np.testing.assert_array_equal(y.array, [3.0, 5.0])
    y.sum().backward()
    np.testing.assert_array_equal(z.grad, [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="maxout: no pieces"):
        F.maxout(nb.tensor(np.zeros((2, 0))), dim=1)
