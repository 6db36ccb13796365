"""``activations``: the derivatives the blocks' backward returns are the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.demos import activations
from tests.demos.conftest import assert_png


def test_backward_derivatives_equal_the_closed_forms():
    x = np.linspace(-6.0, 6.0, 1201) + 1e-3          # no grid point on a kink (0 and 2/3)
    table = activations.curves(x)
    sig = 1.0 / (1.0 + np.exp(-x))
    (w1, w2), (b1, b2) = activations.MAXOUT_SLOPES, activations.MAXOUT_OFFSETS
    expected = {
        "sigmoid": (sig, sig * (1.0 - sig)),
        "tanh": (np.tanh(x), 1.0 - np.tanh(x) ** 2),
        "relu": (np.maximum(x, 0.0), (x > 0).astype(float)),
        "elu": (np.where(x >= 0, x, np.expm1(x)), np.where(x >= 0, 1.0, np.exp(x))),
        "maxout": (np.maximum(w1 * x + b1, w2 * x + b2),
                   np.where(w1 * x + b1 > w2 * x + b2, w1, w2)),
    }
    for name, (value, slope) in expected.items():
        np.testing.assert_allclose(table[name][0], value, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(table[name][1], slope, rtol=1e-12, atol=1e-14, err_msg=name)


def test_claims_of_the_figure(tmp_path):
    results = activations.run(tmp_path, points=401, limit=5.0)
    assert results["sigmoid"]["max_slope"] == pytest.approx(0.25, abs=1e-12)
    assert results["tanh"]["max_slope"] == pytest.approx(1.0, abs=1e-12)
    assert results["sigmoid"]["argmax_slope"] == results["tanh"]["argmax_slope"] == 0.0
    for name in ("sigmoid", "tanh"):                       # saturation at both ends
        assert 0 < results[name]["slope_left"] < 0.01
        assert 0 < results[name]["slope_right"] < 0.01
    assert results["relu"]["slope_left"] == 0.0 and results["relu"]["slope_right"] == 1.0
    assert results["elu"]["slope_left"] == pytest.approx(np.exp(-5.0), rel=1e-9)
    assert results["maxout"]["min_slope"] == -0.5 and results["maxout"]["max_slope"] == 1.0
    assert "sigmoid" in activations.format_results(results)
    assert_png(results["figure"], tmp_path / "activations.png")


def test_numbers_without_matplotlib(tmp_path, no_matplotlib):
    results = activations.run(tmp_path, points=11)
    assert results["figure"] is None and not list(tmp_path.iterdir())
    assert results["tanh"]["max_slope"] == pytest.approx(1.0)
