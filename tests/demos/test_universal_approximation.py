"""``universal-approximation``: one hidden layer of sigmoids; max error falls with the width."""

from __future__ import annotations

import numpy as np

from nnblocks.demos import universal_approximation as ua
from tests.demos.conftest import assert_png


def test_max_error_falls_with_width_below_005(tmp_path, rng):
    results = ua.run(tmp_path, rng=rng, widths=(4, 16, 64), steps=200)
    errors = results["max_error"]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[0] > 0.15                      # 4 sigmoids cannot follow the bump
    assert errors[-1] < 0.05
    assert results["mse"][-1] < 1e-3
    assert "max |G(x) - f(x)|" in ua.format_results(results)
    assert_png(results["figure"], tmp_path / "universal_approximation.png")


def test_the_network_is_one_hidden_layer_of_sigmoids(rng):
    x = np.linspace(-np.pi, np.pi, 64)[:, None]
    net, losses = ua.fit(8, x, ua.target(x), steps=20, rng=rng)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid", "Linear"]
    assert net[0].weight.shape == (8, 1) and net[2].weight.shape == (1, 8)
    assert losses[-1] < losses[0]                # training improves on the least-squares start
