"""``nb.viz.graph``: the blocks behind a tensor as DOT, fused or expanded, RNNs folded or
unfolded."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
from nnblocks.viz import graph
from nnblocks.viz.expand import (
    cross_entropy_primitives,
    gru_unfolded,
    linear_primitives,
    lstm_unfolded,
    rnn_primitives,
    rnn_unfolded,
)
from tests.viz.conftest import require_program


def mlp_loss(rng):
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.Tanh(), nn.Linear(8, 3, rng=rng))
    x = nb.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    y = nb.tensor(np.array([0, 1, 2, 0, 1]))
    return model, F.cross_entropy(model(x), y)


def rnn_sum(rng, steps=3):
    rnn = nn.RNN(2, 3, rng=rng)
    x = nb.tensor(rng.standard_normal((steps, 1, 2)).astype(np.float32))
    output, _ = rnn(x)
    return rnn, output.sum()


def named_edges(g):
    """Edges as (tail name, head name, label) triples."""
    return sorted((g.node(e.tail).name, g.node(e.head).name, e.label) for e in g.edges)


def test_mlp_graph_has_the_expected_nodes_and_edges(rng):
    model, loss = mlp_loss(rng)
    g = graph(loss, params=model)
    assert sorted((n.kind, n.name) for n in g.nodes) == sorted([
        ("output", "output"), ("block", "CrossEntropy"), ("block", "Linear"),
        ("block", "Linear"), ("block", "Tanh"), ("input", "input"), ("input", "input"),
        ("parameter", "0.weight"), ("parameter", "0.bias"), ("parameter", "2.weight"),
        ("parameter", "2.bias"),
    ])
    assert named_edges(g) == sorted([
        ("CrossEntropy", "output", "() float32"),
        ("Linear", "CrossEntropy", "(5, 3) float32"),
        ("input", "CrossEntropy", "(5,) int64"),
        ("Tanh", "Linear", "(5, 8) float32"),
        ("2.weight", "Linear", "(3, 8) float32"),
        ("2.bias", "Linear", "(3,) float32"),
        ("Linear", "Tanh", "(5, 8) float32"),
        ("input", "Linear", "(5, 4) float32"),
        ("0.weight", "Linear", "(8, 4) float32"),
        ("0.bias", "Linear", "(8,) float32"),
    ])
    # the first Linear (fed by the data) feeds Tanh, the second feeds the loss
    first = g.edges_between("input", "Linear")[0].head
    assert g.node(next(e.head for e in g.edges if e.tail == first)).name == "Tanh"
    source = g.source
    assert source.startswith("digraph nnblocks {") and source.rstrip().endswith("}")
    assert source.count(" -> ") == 10
    assert 'label="0.weight\\n(8, 4) float32"' in source
    assert all(n.shared == 1 for n in g.nodes)


def test_rnn_folded_is_one_block_with_a_delay_loop(rng):
    rnn, total = rnn_sum(rng, steps=3)
    g = graph(total, params=rnn)
    (layer,) = g.by_name("RNNLayer")
    assert "folded, T = 3 steps" in layer.label
    loops = [e for e in g.edges if e.kind == "delay"]
    assert [(e.tail, e.head) for e in loops] == [(layer.id, layer.id)]
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        (p,) = g.by_name(name)
        assert p.shared == 1 and len(g.edges_between(name, "RNNLayer")) == 1
    assert f"{layer.id} -> {layer.id} [" in g.source and "style=dashed" in g.source


def test_rnn_unfolded_for_3_steps_shares_one_node_per_parameter(rng):
    rnn, total = rnn_sum(rng, steps=3)
    g = graph(total, params=rnn, unfold=True)
    cells = g.by_name("RNNLayer")
    assert sorted(c.label for c in cells) == [f"RNNLayer\none step (cell), t = {t}"
                                              for t in (1, 2, 3)]
    assert [c.label for c in g.clusters] == ["RNNLayer unfolded, T = 3"]
    assert all(c.cluster == g.clusters[0].id for c in cells)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        (p,) = g.by_name(name)                          # one node per shared parameter...
        assert p.shared == 3 and "shared by 3 blocks" in p.label
        assert {e.head for e in g.edges if e.tail == p.id} == {c.id for c in cells}   # ...to all
    assert not [e for e in g.edges if e.kind == "delay"]       # unfolded: no loop left
    # h(t-1) -> h(t): the cells form a chain of 3 through their state output [1]
    chain = [e for e in g.edges if e.tail in {c.id for c in cells}
             and e.head in {c.id for c in cells}]
    assert len(chain) == 2 and all(e.label.startswith("[1] (1, 3)") for e in chain)
    (x,) = g.by_name("input")
    assert len(g.edges_between("input", "GetItem")) == 3 and x.shared == 1   # data: not marked
    assert re.search(r'label="weight_hh_l0\\n\(3, 3\) float32\\nshared by 3 blocks", '
                     r'shape=ellipse, style=filled, fillcolor="#ffd59e", penwidth=2', g.source)
    assert g.source.count("subgraph cluster_0 {") == 1


def test_expansions_compute_what_the_fused_blocks_compute(rng):
    x = nb.tensor(rng.standard_normal((5, 4)))
    w, b = nb.tensor(rng.standard_normal((3, 4))), nb.tensor(rng.standard_normal(3))
    np.testing.assert_allclose(linear_primitives([x, w, b], None).array, F.linear(x, w, b).array,
                               rtol=1e-12)
    z = nb.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    target = nb.tensor(np.array([0, 2, 1, 1, 0]))
    loss = F.cross_entropy(z, target)
    np.testing.assert_allclose(cross_entropy_primitives([z, target], loss.grad_fn.saved).array,
                               loss.array, rtol=1e-12)
    for reverse in (False, True):
        xs = nb.tensor(rng.standard_normal((4, 2, 3)))
        h0 = nb.tensor(rng.standard_normal((2, 5)))
        weights = [nb.tensor(rng.standard_normal(s), requires_grad=True)
                   for s in ((5, 3), (5, 5), (5,), (5,))]
        y, h_n = F.rnn_layer(xs, h0, *weights, reverse=reverse)
        for expansion in (rnn_unfolded, rnn_primitives):
            y2, h2 = expansion([xs, h0, *weights], y.grad_fn.saved)
            np.testing.assert_allclose(y2.array, y.array, rtol=1e-12)
            np.testing.assert_allclose(h2.array, h_n.array, rtol=1e-12)
        g_weights = [nb.tensor(rng.standard_normal(s), requires_grad=True)
                     for s in ((15, 3), (15, 5), (15,), (15,))]
        outs = F.gru_layer(xs, h0, *g_weights, reverse=reverse)
        for a, b in zip(gru_unfolded([xs, h0, *g_weights], outs[0].grad_fn.saved), outs):
            np.testing.assert_allclose(a.array, b.array, rtol=1e-12)
        l_weights = [nb.tensor(rng.standard_normal(s), requires_grad=True)
                     for s in ((20, 3), (20, 5), (20,), (20,))]
        c0 = nb.tensor(rng.standard_normal((2, 5)))
        outs = F.lstm_layer(xs, (h0, c0), *l_weights, reverse=reverse)
        unfolded = lstm_unfolded([xs, h0, c0, *l_weights], outs[0].grad_fn.saved)
        assert len(unfolded) == 3
        for a, b in zip(unfolded, outs):
            np.testing.assert_allclose(a.array, b.array, rtol=1e-12)


def test_expand_draws_fused_blocks_as_primitives_in_a_box(rng):
    model, loss = mlp_loss(rng)
    g = graph(loss, params=model, expand=True)
    names = [n.name for n in g.nodes if n.kind == "block"]
    assert "Linear" not in names and "CrossEntropy" not in names
    assert names.count("MatMul") == 2 and {"Exp", "Log", "GetItem", "Tanh"} <= set(names)
    assert sorted(c.label for c in g.clusters) == ["CrossEntropy in primitives",
                                                   "Linear in primitives", "Linear in primitives"]
    assert g.node(g.edges_between("0.weight", "Permute")[0].tail).kind == "parameter"
    assert next(n for n in g.nodes if n.name == "Tanh").cluster is None    # not fused: as is
    rnn, total = rnn_sum(rng)
    nested = graph(total, params=rnn, unfold=True, expand=True)
    inner = [c for c in nested.clusters if c.parent is not None]
    assert len(inner) == 3 and not nested.by_name("RNNLayer")
    assert nested.by_name("weight_hh_l0")[0].shared == 3


def test_values_and_gradients_in_the_labels(rng):
    w = nb.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    g = graph(y, params={"w": w}, values=True)
    (leaf,) = g.by_name("w")
    assert "value: [1., 2.]" in leaf.label and "grad: [2., 4.]" in leaf.label
    assert "value: [5.]" in g.by_name("output")[0].label


def test_a_freed_graph_and_bad_arguments_are_explained(rng):
    _, loss = mlp_loss(rng)
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward.*retain_graph=True"):
        graph(loss)
    with pytest.raises(TypeError, match="graph: expected a Tensor, got ndarray"):
        graph(np.zeros(3))
    with pytest.raises(TypeError, match="params must be a Module or a mapping"):
        graph(nb.tensor([1.0]), params=[1])
    assert [n.kind for n in graph(nb.tensor([1.0])).nodes] == ["output", "input"]


def test_dot_accepts_the_source_and_renders_svg_and_png(rng, tmp_path):
    dot = require_program("dot", "the graph rendering test")
    rnn, total = rnn_sum(rng)
    g = graph(total, params=rnn, unfold=True, values=True)
    checked = subprocess.run([dot, "-Tcanon"], input=g.source.encode(), capture_output=True,
                             check=False)
    assert checked.returncode == 0 and not checked.stderr, checked.stderr
    svg = g.render(tmp_path / "g.svg").read_text()
    assert svg.count('class="node"') == len(g.nodes) and svg.count('class="edge"') == len(g.edges)
    assert "shared by 3 blocks" in svg
    png = g.render(tmp_path / "g.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert g.render(tmp_path / "g.dot").read_text() == g.source


def test_rendering_without_the_python_package_or_without_dot(rng, monkeypatch):
    import sys

    from nnblocks.viz import dot as dot_module

    require_program("dot", "the graph rendering test")
    _, loss = mlp_loss(rng)
    g = graph(loss)
    with_package = g.pipe("svg")
    monkeypatch.setitem(sys.modules, "graphviz", None)          # the `dot` program directly
    assert g.pipe("svg") == with_package
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs Graphviz's 'dot' program.*Graph.source"):
        g.pipe("png")
