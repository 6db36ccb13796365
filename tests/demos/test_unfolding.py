"""``unfolding``: the RNN folded (one block, a delay loop) and unfolded (T cells, shared
parameters); BPTT on the unfolded graph equals the fused block's gradients."""

from __future__ import annotations

from pathlib import Path

from nnblocks.demos import unfolding
from tests.viz.conftest import require_program

PARAMETERS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def test_folded_unfolded_and_bptt_equal(tmp_path, rng):
    results = unfolding.run(tmp_path, rng=rng, steps=4)
    assert results["folded"]["delay_loops"] == 1 and not results["folded"]["shared_parameters"]
    assert results["unfolded"]["delay_loops"] == 0
    assert results["unfolded"]["shared_parameters"] == {p: 4 for p in PARAMETERS}
    for label in ("cells", "primitives"):
        diffs = results["max_relative_diff"][label]
        assert set(diffs) == {"x", "h0", *PARAMETERS}
        assert max(diffs.values()) < 1e-12, (label, diffs)
    for path in results["dot_files"]:
        assert Path(path).read_text().startswith("digraph nnblocks {")


def test_figure_needs_graphviz(tmp_path, rng):
    require_program("dot", "the unfolding figure")
    results = unfolding.run(tmp_path, rng=rng)
    assert results["figure"] == str(tmp_path / "unfolding.png")
    assert (tmp_path / "graphs" / "unfolding_unfolded.png").read_bytes()[:4] == b"\x89PNG"
