"""``perceptron``: Rosenblatt's rule separates separable data, not XOR; an MLP solves XOR."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.demos import perceptron
from tests.demos.conftest import assert_png


def test_separable_solved_xor_not_mlp_solves_xor(tmp_path, rng):
    results = perceptron.run(tmp_path, rng=rng, n=60, epochs=40, mlp_steps=200)
    assert results["separable_errors"] == 0
    assert results["separable_mistakes"][-1] == 0
    assert results["total_mistakes"] <= results["novikoff_bound"]
    assert len(results["xor_mistakes"]) == 40          # never an epoch without a mistake
    assert results["xor_min_mistakes"] > 0
    assert results["xor_perceptron_accuracy"] < 1.0
    assert results["mlp_accuracy"] == 1.0
    assert_png(results["figure"], tmp_path / "perceptron.png")


def test_perceptron_on_the_four_xor_points_errs_in_every_epoch(rng):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    unit = nb.nn.Perceptron(2, dtype=np.float64)
    history = unit.fit(X, y, epochs=25, rng=rng)
    assert len(history) == 25 and min(history) >= 1
    # while a linearly separable labelling (AND) is learnt
    assert nb.nn.Perceptron(2).fit(X, np.array([0, 0, 0, 1]), rng=rng)[-1] == 0


def test_separable_data_respect_the_margin(rng):
    X, y, u = perceptron.separable(200, rng, margin=0.1)
    augmented = np.hstack([X, np.ones((200, 1))])
    assert np.all(y * (augmented @ u) > 0)
    assert abs(np.linalg.norm(u) - 1.0) < 1e-12
