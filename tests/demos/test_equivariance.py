"""``equivariance``: conv(shift(x)) == shift(conv(x)) away from the borders; a fully
convolutional network with global pooling classifies inputs of several sizes."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.demos import equivariance as eq
from tests.demos.conftest import assert_png


@pytest.mark.parametrize("shift", [(3, 5), (-2, 1), (0, -4)])
def test_convolution_commutes_with_translation_inside(rng, shift):
    image = rng.standard_normal((24, 30))
    inner, whole, maps = eq.equivariance_error(image, rng, shift)
    assert inner < 1e-6
    assert whole > 1e-3                      # at the borders it does not: the check can fail
    assert maps["diff"].shape == (24, 30)


def test_fully_convolutional_net_takes_any_size(rng):
    model = eq.fully_convolutional(rng)
    for size in (8, 11, 16, 29):
        with nb.no_grad():
            out = model(nb.tensor(rng.random((3, 1, size, size), dtype=np.float32)))
        assert out.shape == (3, 10)


def test_trained_net_classifies_several_sizes(tmp_path, rng):
    pytest.importorskip("sklearn")
    results = eq.run(tmp_path, rng=rng, epochs=6, test_sizes=(8, 12, 16, 24))
    assert results["max_error_interior"] < 1e-6
    accuracy = dict(zip(results["test_sizes"], results["accuracy"]))
    assert min(accuracy.values()) > 0.6, accuracy          # chance is 0.1
    assert accuracy[16] > 0.6 and accuracy[24] > 0.6        # sizes never seen in training
    assert "expected 64" in results["fully_connected_error"]
    assert_png(results["figure"], tmp_path / "equivariance.png")
