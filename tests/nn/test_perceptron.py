"""Rosenblatt's perceptron: convergence on separable data, never on XOR, threshold output."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn


def _separable(rng: np.random.Generator, n: int = 200, d: int = 3, margin: float = 0.2):
    """Points at least ``margin`` from the hyperplane u·x + c = 0, labelled by its side."""
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    c = 0.3
    x = rng.uniform(-2, 2, size=(4 * n, d))
    side = x @ u + c
    keep = np.abs(side) >= margin
    return x[keep][:n], np.where(side[keep][:n] > 0, 1, -1), margin, u, c


def test_converges_on_linearly_separable_data_within_novikoffs_bound(rng) -> None:
    x, y, margin, u, c = _separable(rng)
    unit = nn.Perceptron(3)
    history = unit.fit(x, y, epochs=200, rng=rng)
    assert history[-1] == 0 and len(history) < 200
    pred = unit(nb.tensor(x))
    np.testing.assert_array_equal(pred.array, y)
    # Novikoff: at most (R / gamma)^2 updates, with the bias absorbed by a constant input 1
    augmented = np.hstack([x, np.ones((len(x), 1))])
    v = np.append(u, c)
    gamma = np.min(y * (augmented @ v)) / np.linalg.norm(v)
    radius = np.max(np.linalg.norm(augmented, axis=1))
    assert sum(history) <= (radius / gamma) ** 2


def test_never_separates_xor(rng) -> None:
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    history = nn.Perceptron(2).fit(x, y, epochs=100, rng=rng)
    assert len(history) == 100 and min(history) > 0


def test_learns_and_and_or_with_zero_one_labels(rng) -> None:
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    for labels in ([0, 0, 0, 1], [0, 1, 1, 1]):
        unit = nn.Perceptron(2)
        assert unit.fit(x, np.array(labels), rng=rng)[-1] == 0
        np.testing.assert_array_equal(unit(nb.tensor(x)).array, 2 * np.array(labels) - 1)


def test_forward_is_the_threshold_output_without_gradient() -> None:
    unit = nn.Perceptron(2, threshold=0.5)
    unit.load_state_dict({"weight": np.array([1.0, 1.0]), "bias": np.array(0.0)})
    x = nb.tensor(np.array([[0.2, 0.2], [0.3, 0.3], [0.25, 0.25]], dtype=np.float32),
                  requires_grad=True)
    y = unit(x)
    np.testing.assert_array_equal(y.array, [-1.0, 1.0, -1.0])      # fires only above 0.5
    assert y.dtype == np.float32 and not y.requires_grad
    assert list(unit.state_dict()) == ["weight", "bias"]
    assert repr(unit) == "Perceptron(in_features=2, threshold=0.5)"


def test_fit_is_reproducible_from_rng(rng) -> None:
    x, y, *_ = _separable(rng, n=60)
    a, b = nn.Perceptron(3), nn.Perceptron(3)
    assert a.fit(x, y, rng=np.random.default_rng(4)) == b.fit(x, y, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a.weight.array, b.weight.array)


def test_fit_and_forward_errors() -> None:
    unit = nn.Perceptron(2)
    with pytest.raises(ValueError, match="labels must be in"):
        unit.fit(np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(ValueError, match=r"expected X \(N, D\) and y \(N,\)"):
        unit.fit(np.zeros((2, 2)), np.array([1, -1, 1]))
    with pytest.raises(ValueError, match=r"Perceptron\(in_features=2.*3 features"):
        unit(nb.tensor(np.zeros((1, 3))))
