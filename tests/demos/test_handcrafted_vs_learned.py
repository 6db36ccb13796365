"""``handcrafted-vs-learned``: designed Sobel/Gabor features beat raw pixels, learned filters do
at least as well, with the same linear classifier."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.demos import handcrafted_vs_learned as hl
from tests.demos.conftest import assert_png


def test_filter_bank_is_what_it_claims():
    names, bank = hl.filter_bank()
    assert bank.shape == (8, 1, 5, 5) and len(names) == 8
    np.testing.assert_allclose(np.linalg.norm(bank.reshape(8, -1), axis=1), 1.0, rtol=1e-6)
    sobel_x = bank[0, 0]
    assert np.allclose(sobel_x, -sobel_x[:, ::-1])           # odd in x: a derivative
    gabor_90 = hl.gabor_kernel(90)
    np.testing.assert_allclose(gabor_90, hl.gabor_kernel(0).T, atol=1e-12)   # rotated
    assert abs(hl.gabor_kernel(45).sum()) < 1e-12           # zero mean: no response to flat
    image = np.zeros((1, 1, 8, 8), np.float32)
    image[..., 4:] = 1.0                                     # a vertical edge
    maps = hl.handcrafted_features(image, bank)              # (1, 8, 4, 4)
    inside = (slice(1, 3), slice(None))                      # away from the zero padding
    assert maps[0, names.index("Sobel x")][inside].max() > 1.0
    assert maps[0, names.index("Sobel y")][inside].max() == 0.0


def test_learned_features_at_least_as_good_as_designed(tmp_path, rng):
    pytest.importorskip("sklearn")
    results = hl.run(tmp_path, rng=rng)
    acc = results["accuracy"]
    assert acc["handcrafted"] > acc["pixels"] + 0.005
    assert acc["learned"] >= acc["handcrafted"]
    assert acc["learned"] > 0.95
    assert results["parameters"] == {"pixels": 650, "handcrafted": 1290, "learned": 1370}
    assert_png(results["figure"], tmp_path / "handcrafted_vs_learned.png")
