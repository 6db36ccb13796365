"""The drawing helper and ``nnblocks demo bayes`` (numbers always; the figure with matplotlib)."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

from nnblocks.bayes import asia, demo, layout, random_network, sprinkler


def test_layout_puts_parents_above_children():
    for net in (asia(), random_network(9, rng=np.random.default_rng(1))):
        position = layout(net)
        assert set(position) == set(net.nodes)
        assert all(position[p][1] > position[c][1] for p, c in net.edges)
        assert len(set(position.values())) == len(net)  # no two nodes on the same spot


def test_demo_without_matplotlib_still_returns_the_numbers(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes "import matplotlib" fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    results = demo.run(tmp_path, rng=np.random.default_rng(0), sample_sizes=(100,), repeats=2)
    assert results["figure"] is None
    assert not (tmp_path / "bayes.png").exists()
    assert results["posterior_rain_given_wet"] == pytest.approx(0.7079, abs=1e-4)
    assert len(results["rejection_mean"]) == 1


def check_numbers(results: dict) -> None:
    assert results["prior_rain"] == pytest.approx(0.5, abs=1e-12)
    assert results["posterior_rain_given_wet"] == pytest.approx(0.7079, abs=1e-4)
    assert results["sprinkler_given_wet"] == pytest.approx(0.4298, abs=1e-4)
    assert results["sprinkler_given_wet_and_rain"] == pytest.approx(0.1945, abs=1e-4)
    assert results["sprinkler_given_wet_and_rain"] < results["sprinkler_given_wet"]
    assert results["n_samples"][-1] == 100_000
    for method in ("rejection", "weighting"):
        assert results[f"{method}_tv"][-1] < 0.02
        assert results[f"{method}_tv"][-1] < results[f"{method}_tv"][0]
    assert results["rejection_kept"][-1] == pytest.approx(100_000 * 0.6471, rel=0.02)
    text = demo.format_results(results)
    assert "0.7079" in text and "explaining away" in text


def test_draw_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from nnblocks.bayes import draw

    path = tmp_path / "asia.png"
    fig = draw(asia(), path, observed=["xray"], title="asia")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.axes[0].get_title() == "asia"


def test_demo_numbers_and_figure(tmp_path):
    results = demo.run(tmp_path / "out", rng=np.random.default_rng(1))
    check_numbers(results)
    json.dumps(results)  # JSON-ready
    if importlib.util.find_spec("matplotlib") is None:
        assert results["figure"] is None
    else:
        assert results["figure"] == str(tmp_path / "out" / "bayes.png")
        assert (tmp_path / "out" / "bayes.png").read_bytes()[:4] == b"\x89PNG"


def test_draw_rejects_unknown_observed_nodes():
    pytest.importorskip("matplotlib")
    from nnblocks.bayes import UnknownNodeError, draw

    with pytest.raises(UnknownNodeError, match="observed node 'Snow'"):
        draw(sprinkler(), observed=["Snow"])
