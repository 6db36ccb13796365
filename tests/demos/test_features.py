"""``features``: a trained CNN is accurate, its first-layer filters are structured, and its
representations separate the classes more with each layer."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.demos import features
from tests.demos.conftest import assert_png


def test_trained_cnn_features_and_hierarchy(tmp_path, rng):
    pytest.importorskip("sklearn")
    results = features.run(tmp_path, rng=rng, epochs=6)
    assert results["test_accuracy"] > 0.9
    assert results["filter_change"] > 0.5
    assert results["neighbour_correlation_trained"] > results["neighbour_correlation_init"] + 0.1
    fisher = results["fisher_trained"]
    assert all(b > a for a, b in zip(fisher, fisher[1:])), fisher      # grows with depth
    assert fisher[-1] > 2 * results["fisher_init"][-1]                 # because of training
    assert results["nearest_mean_trained"][-1] > results["nearest_mean_trained"][0]
    assert_png(results["figure"], tmp_path / "features.png")


def test_fisher_ratio_and_nearest_mean(rng):
    labels = np.repeat([0, 1], 50)
    centres = np.array([[0.0, 0.0], [10.0, 0.0]])
    points = centres[labels] + rng.standard_normal((100, 2))
    # between: 100 * 25 = 2500 (up to sampling); within: about 100 * 2
    assert 8 < features.fisher_ratio(points, labels) < 18
    assert features.nearest_mean_accuracy(points, labels, points, labels) == 1.0


def test_neighbour_correlation_of_smooth_and_random_filters(rng):
    ramp = np.broadcast_to(np.arange(5.0), (4, 1, 5, 5)) + np.arange(5.0)[:, None]
    assert features.neighbour_correlation(ramp) > 0.5
    assert abs(features.neighbour_correlation(rng.standard_normal((64, 1, 3, 3)))) < 0.15
