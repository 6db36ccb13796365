"""``true-convolution``: convolution is cross-correlation with the flipped kernel, commutes (the
cross-correlation does not), and a CNN learns the same either way."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.demos import true_convolution as tc
from tests.demos.conftest import assert_png


def test_identities_by_the_definitions(rng):
    image, kernel = rng.standard_normal((6, 5)), rng.standard_normal((3, 2))
    conv = tc.convolution_full(image, kernel)
    # the flip identity and commutativity, against an independent evaluation: np.convolve on
    # rows of a 1-row image is the textbook 1-D convolution
    row, taps = image[:1], kernel[:1]
    np.testing.assert_allclose(tc.convolution_full(row, taps)[0], np.convolve(row[0], taps[0]),
                               rtol=1e-12)
    np.testing.assert_allclose(tc.cross_correlation_full(row, taps)[0],
                               np.correlate(np.pad(row[0], 1), taps[0], "valid")[::1],
                               rtol=1e-12)
    np.testing.assert_allclose(conv, tc.convolution_full(kernel, image), rtol=1e-12)
    assert np.abs(tc.cross_correlation_full(image, kernel)
                  - tc.cross_correlation_full(kernel, image)).max() > 0.1
    ids = tc.identities(image[:5, :5].copy(), rng.standard_normal((3, 3)))
    for key in ("conv2d_is_cross_correlation", "convolution_is_flipped_cross_correlation",
                "conv2d_of_flipped_kernel_is_convolution", "convolution_commutes",
                "swapped_cross_correlation_is_flipped"):
        assert ids[key] < 1e-12 * max(ids["scale"], 1.0), key
    assert ids["cross_correlation_commutes"] > 0.1 * ids["scale"]


def test_learning_absorbs_the_flip(tmp_path, rng):
    pytest.importorskip("sklearn")
    results = tc.run(tmp_path, rng=rng, epochs=6)
    acc = results["accuracy"]
    assert acc["cross_correlation"] > 0.9
    assert acc["convolution_flipped_init"] == pytest.approx(acc["cross_correlation"], abs=0.005)
    assert abs(acc["convolution_own_init"] - acc["cross_correlation"]) < 0.05
    assert results["kernel_change"] > 0.1                    # training did move the kernels...
    assert results["kernel_max_diff"] < 1e-4                 # ...and they stay flips
    assert_png(results["figure"], tmp_path / "true_convolution.png")
