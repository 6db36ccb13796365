"""``connectivity``: parameters and multiply-adds, O(mn) vs O(nk) vs k, counted exactly."""

from __future__ import annotations

from nnblocks.demos import connectivity as cn
from tests.demos.conftest import assert_png


def test_formulas_for_an_8x8_input():
    row = cn.formulas(8, 3)                  # m = 64 inputs, n = 36 outputs, k = 9
    assert (row["m"], row["n"], row["k"]) == (64, 36, 9)
    assert row["fully_connected"] == {"weights": 2304, "parameters": 2340, "mult_adds": 2304}
    assert row["locally_connected"] == {"weights": 324, "parameters": 360, "mult_adds": 324}
    assert row["convolutional"] == {"weights": 9, "parameters": 10, "mult_adds": 324}


def test_layers_match_the_formulas(rng):
    for side, kernel in ((6, 3), (9, 2), (10, 5)):
        row = cn.formulas(side, kernel)
        m, n, k = row["m"], row["n"], row["k"]
        measured = cn.measure(side, kernel, rng)
        # num_parameters() against the formulas (weights + biases)
        assert measured["fully_connected"]["parameters"] == m * n + n
        assert measured["locally_connected"]["parameters"] == n * k + n
        assert measured["convolutional"]["parameters"] == k + 1
        # connections (non-zeros of the Jacobian) = multiply-adds
        assert measured["fully_connected"]["connections"] == m * n
        assert measured["locally_connected"]["connections"] == n * k
        assert measured["convolutional"]["connections"] == n * k
        # distinct weights in the Jacobian: sharing leaves k of them in the convolution
        assert measured["fully_connected"]["distinct_weights"] == m * n
        assert measured["locally_connected"]["distinct_weights"] == n * k
        assert measured["convolutional"]["distinct_weights"] == k


def test_run(tmp_path, rng):
    results = cn.run(tmp_path, rng=rng, measured_sides=(6, 8), formula_sides=(64, 256))
    assert results["all_match"] is True
    assert [row["side"] for row in results["rows"]] == [6, 8, 64, 256]
    big = results["rows"][-1]
    assert big["fully_connected"]["mult_adds"] / big["convolutional"]["mult_adds"] > 7000
    assert "all measured counts match the formulas: True" in cn.format_results(results)
    assert_png(results["figure"], tmp_path / "connectivity.png")
