r"""``nnblocks demo graph``: the network as the lecture draws it, a chain of computing blocks
:math:`L = \ell(f_3(f_2(f_1(x; \theta_1)); \theta_3), y)`, read from the graph the forward pass
recorded (:func:`nnblocks.viz.graph`).

A 2-layer MLP with a cross-entropy loss is drawn twice: with its fused blocks (``Linear``,
``CrossEntropy``: one node each, the way backpropagation runs them, each with a hand-derived
backward) and expanded into the primitive blocks they stand for (``MatMul``, ``Add``, ``Exp``,
``Log``...). After ``backward(retain_graph=True)`` the parameter nodes also carry their
gradients. The DOT files are written always; the pictures need Graphviz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
from nnblocks._random import get_rng
from nnblocks.demos._plot import new_figure, save
from nnblocks.viz import Graph, graph, graphviz_available


def write_graphs(graphs: dict[str, Graph], out_dir: Path) -> dict[str, str | None]:
    """Write ``NAME.dot`` for each graph and, with Graphviz, ``NAME.png``; returns the PNG paths
    (None without Graphviz)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures: dict[str, str | None] = {}
    for name, g in graphs.items():
        g.render(out_dir / f"{name}.dot")
        pictures[name] = str(g.render(out_dir / f"{name}.png")) if graphviz_available() else None
    return pictures


def side_by_side(pictures: list[tuple[str | None, str]], out_dir: Path, name: str,
                 widths: list[float] | None = None, height: float = 6.0) -> str | None:
    """One figure with the PNGs side by side, each under its title; None without matplotlib
    or without the pictures."""
    if any(path is None for path, _ in pictures):
        return None
    fig = new_figure(14.0, height)
    if fig is None:
        return None
    from matplotlib.image import imread

    axes = fig.subplots(1, len(pictures), gridspec_kw={"width_ratios": widths} if widths else {})
    for ax, (path, title) in zip(np.atleast_1d(axes), pictures):
        ax.imshow(imread(path))
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    return save(fig, out_dir, name)


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        hidden: int = 16) -> dict:
    """Draw the MLP's graph fused and expanded; save ``out_dir/graph.png`` (and the DOT and PNG
    files of each drawing) when Graphviz and matplotlib are available.

    Returns per drawing (``fused``, ``expanded``) the number of ``blocks``, ``nodes`` and
    ``edges`` and the block names; ``gradients_shown`` (parameters whose label carries a
    gradient), ``dot_files``; and ``figure``.
    """
    generator = get_rng(rng)
    model = nn.Sequential(nn.Linear(2, hidden, rng=generator), nn.Tanh(),
                          nn.Linear(hidden, 2, rng=generator))
    x = nb.tensor(generator.standard_normal((4, 2)).astype(np.float32))
    y = nb.tensor(np.array([0, 1, 1, 0]))
    loss = F.cross_entropy(model(x), y)
    loss.backward(retain_graph=True)                   # the gradients appear in the labels
    data = {"x": x, "y (labels)": y}
    drawings = {"graph_fused": graph(loss, params=model, inputs=data, values=True),
                "graph_expanded": graph(loss, params=model, inputs=data, expand=True)}
    results: dict[str, Any] = {}
    for key, g in drawings.items():
        blocks = [n.name for n in g.nodes if n.kind == "block"]
        results[key.split("_")[1]] = {"blocks": len(blocks), "nodes": len(g.nodes),
                                      "edges": len(g.edges), "block_names": sorted(set(blocks))}
    results["gradients_shown"] = sum("grad:" in n.label for n in drawings["graph_fused"].nodes)
    out = Path(out_dir)
    pictures = write_graphs(drawings, out / "graphs")
    results["dot_files"] = [str(out / "graphs" / f"{k}.dot") for k in drawings]
    results["figure"] = side_by_side(
        [(pictures["graph_fused"], "fused blocks (values and gradients after backward)"),
         (pictures["graph_expanded"], "expanded into primitive blocks")],
        out, "graph.png", widths=[1.0, 1.6], height=7.0)
    return results


def format_results(results: dict) -> str:
    lines = ["2-layer MLP + cross-entropy, the graph recorded by the forward pass:"]
    for key in ("fused", "expanded"):
        r = results[key]
        lines.append(f"  {key:<9} {r['blocks']:3d} blocks, {r['nodes']:3d} nodes, "
                     f"{r['edges']:3d} edges: {', '.join(r['block_names'])}")
    lines.append(f"  {results['gradients_shown']} parameter nodes show their gradient")
    lines.append(f"DOT: {', '.join(results['dot_files'])}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)
