"""``sobel``: the Sobel Conv2d equals a naive double loop and finds the edges."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.demos import sobel
from tests.demos.conftest import assert_png
from tests.references.conv_loops import sobel_loop


def test_conv_equals_the_naive_double_loop(rng):
    image = rng.random((17, 23))
    np.testing.assert_allclose(sobel.edge_maps(image), sobel_loop(image), rtol=0, atol=1e-13)
    np.testing.assert_allclose(sobel.sobel_double_loop(image), sobel_loop(image), atol=1e-13)


def test_vertical_edge_responds_in_gx_only():
    image = np.zeros((10, 10))
    image[:, 5:] = 1.0                                      # a vertical edge
    gx, gy = sobel.edge_maps(image)
    assert np.all(gy[1:-1] == 0.0)                          # no vertical change inside
    assert np.all(gx[1:-1, 4:6] == -4.0)                    # left minus right, weights 1, 2, 1
    assert np.all(gx[:, :3] == 0.0) and np.all(gx[:, 7:-1] == 0.0)


def test_run_on_a_given_image(tmp_path, rng):
    results = sobel.run(tmp_path, image=rng.random((20, 20)), loop_crop=0)
    assert results["max_abs_diff_vs_loop"] < 1e-13
    assert results["loop_pixels"] == 400
    assert_png(results["figure"], tmp_path / "sobel.png")


def test_digit_image(tmp_path, no_matplotlib):
    pytest.importorskip("sklearn")
    results = sobel.run(tmp_path, image="digit", loop_crop=0)
    assert results["shape"] == [32, 32] and results["figure"] is None
    assert results["max_abs_diff_vs_loop"] < 1e-12
    assert results["max_magnitude"] > 1.0


def test_bad_image_argument():
    with pytest.raises(ValueError, match="2-D array"):
        sobel.load_image(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="unknown image"):
        sobel.load_image("lena")
