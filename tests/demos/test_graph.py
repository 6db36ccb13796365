"""``graph``: the MLP's graph fused (one node per fused block, gradients after backward) and
expanded into primitive blocks."""

from __future__ import annotations

from nnblocks.demos import graph as graph_demo
from tests.viz.conftest import require_program


def test_fused_and_expanded_drawings(tmp_path, rng):
    results = graph_demo.run(tmp_path, rng=rng, hidden=4)
    assert results["fused"]["block_names"] == ["CrossEntropy", "Linear", "Tanh"]
    assert results["fused"]["blocks"] == 4
    expanded = set(results["expanded"]["block_names"])
    assert {"MatMul", "Exp", "Log", "Tanh"} <= expanded and "Linear" not in expanded
    assert results["expanded"]["blocks"] > 3 * results["fused"]["blocks"]
    assert results["gradients_shown"] == 4                   # 2 weights, 2 biases
    require_program("dot", "the graph demo's figure")
    assert (tmp_path / "graphs" / "graph_fused.png").read_bytes()[:4] == b"\x89PNG"
