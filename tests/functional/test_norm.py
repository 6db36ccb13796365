"""Normalization blocks beyond the table: running-statistics updates, errors, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F


def test_batch_norm_updates_running_statistics_in_place(rng) -> None:
    x = rng.standard_normal((8, 3, 2)) * 2 + 1
    mean, var = np.zeros(3), np.ones(3)
    F.batch_norm(nb.tensor(x), mean, var, training=True, momentum=0.25)
    m = 8 * 2
    batch_mean = x.mean(axis=(0, 2))
    batch_var = x.var(axis=(0, 2)) * m / (m - 1)
    np.testing.assert_allclose(mean, 0.25 * batch_mean)
    np.testing.assert_allclose(var, 0.75 + 0.25 * batch_var)


def test_batch_norm_output_is_standardized(rng) -> None:
    x = rng.standard_normal((50, 4)) * 3 + 2
    y = F.batch_norm(nb.tensor(x), None, None, training=True).array
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), 1, rtol=1e-4)


def test_batch_norm_errors() -> None:
    x = nb.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"batch_norm: input has 3 channels .* weight has shape"):
        F.batch_norm(x, None, None, nb.tensor(np.ones(4)), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"batch_norm: input must be \(N, C, \*\)"):
        F.batch_norm(nb.tensor(np.zeros(3)), None, None, training=True)


def test_group_norm_and_layer_norm_errors() -> None:
    with pytest.raises(ValueError, match=r"group_norm: input has 5 channels .* num_groups=2"):
        F.group_norm(nb.tensor(np.zeros((2, 5, 3))), 2)
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3\) does not end"):
        F.layer_norm(nb.tensor(np.zeros((2, 3))), (4,))
    with pytest.raises(ValueError, match=r"layer_norm: weight has shape \(3,\), expected \(4,\)"):
        F.layer_norm(nb.tensor(np.zeros((2, 4))), 4, nb.tensor(np.ones(3)))


@pytest.mark.parametrize("fn", [
    lambda x: F.batch_norm(x, None, None, training=True),
    lambda x: F.batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32)),
    lambda x: F.group_norm(x, 3),
    lambda x: F.layer_norm(x, 4),
], ids=["batch", "batch_eval", "group", "layer"])
def test_norms_keep_float32(fn, rng) -> None:
    x = nb.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True)
    y = fn(x)
    (y * y).sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_constant_input_normalizes_to_zero_without_warnings() -> None:
    x = nb.tensor(np.full((4, 2, 3), 7.0), requires_grad=True)
    for y in (F.batch_norm(x, None, None, training=True), F.group_norm(x, 1), F.layer_norm(x, 3)):
        np.testing.assert_array_equal(y.array, 0.0)
        y.sum().backward()
        assert np.all(np.isfinite(x.grad))
