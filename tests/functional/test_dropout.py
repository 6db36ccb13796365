"""Dropout: inverted scaling, statistics, reproducibility from an explicit rng, errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(rng) -> None:
    x = nb.tensor(np.ones((200, 100)), requires_grad=True)
    y = F.dropout(x, p=0.3, rng=rng)
    kept = y.array != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01                # 20,000 draws: sd 0.003
    np.testing.assert_allclose(y.array[kept], 1 / 0.7)
    assert abs(y.array.mean() - 1.0) < 0.02                  # E[y] = x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.array)           # g_x = mask


def test_dropout_is_reproducible_from_rng() -> None:
    x = nb.tensor(np.ones(50))
    a = F.dropout(x, 0.5, rng=np.random.default_rng(3))
    b = F.dropout(x, 0.5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.array, b.array)


def test_dropout_uses_the_default_generator_seeded_by_manual_seed() -> None:
    x = nb.tensor(np.ones(50))
    nb.manual_seed(11)
    a = F.dropout(x, 0.5)
    nb.manual_seed(11)
    b = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.array, b.array)


def test_dropout_identity_cases_and_p_one(rng) -> None:
    x = nb.tensor(rng.standard_normal(10))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, rng=rng) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0, rng=rng).array, np.zeros(10))


def test_dropout_keeps_float32(rng) -> None:
    x = nb.tensor(np.ones(10, dtype=np.float32), requires_grad=True)
    y = F.dropout(x, 0.5, rng=rng)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_dropout_rejects_bad_p() -> None:
    with pytest.raises(ValueError, match=r"dropout: probability p must be in \[0, 1\], got 1.5"):
        F.dropout(nb.tensor([1.0]), 1.5)
