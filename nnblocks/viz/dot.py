"""Graphviz for :mod:`nnblocks.viz.graph`: the DOT text of a graph (no dependency) and its
rendering by Graphviz (the ``graphviz`` Python package, or the ``dot`` program directly)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

#: fill colours by node kind (torchviz's: parameters light blue, the output green)
COLORS = {"block": "#ffffff", "parameter": "#cfe2f3", "input": "#e6e6e6",
          "output": "#c9f2a6", "shared": "#ffd59e"}


def graphviz_available() -> bool:
    """Whether :meth:`Graph.pipe` can render: Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def render_dot(source: str, format: str = "svg") -> bytes:
    """Render DOT text with Graphviz (the ``graphviz`` package when installed, else the ``dot``
    program directly); a clear ``RuntimeError`` when Graphviz is missing."""
    if not graphviz_available():
        raise RuntimeError(
            "graph rendering needs Graphviz's 'dot' program (apt install graphviz, or "
            "https://graphviz.org/download); Graph.source gives the DOT text without it"
        )
    try:
        import graphviz
    except ImportError:
        done = subprocess.run(["dot", f"-T{format}"], input=source.encode(),
                              capture_output=True, check=False)
        if done.returncode:
            raise RuntimeError(f"dot -T{format} failed: {done.stderr.decode().strip()}") from None
        return done.stdout
    return graphviz.Source(source).pipe(format=format)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_line(n: Any) -> str:
    if n.kind == "block":
        attrs = 'shape=box, style="rounded,filled", fillcolor="#ffffff"'
    else:
        color = COLORS["shared"] if n.shared > 1 else COLORS[n.kind]
        attrs = f'shape=ellipse, style=filled, fillcolor="{color}"'
        if n.shared > 1:
            attrs += ", penwidth=2"
    return f"{n.id} [label={_quote(n.label)}, {attrs}];"


def dot_lines(g: Any) -> Iterator[str]:
    yield "digraph nnblocks {"
    yield f'  graph [rankdir={g.rankdir}, fontname="Helvetica", fontsize=10];'
    yield '  node [fontname="Helvetica", fontsize=10];'
    yield '  edge [fontname="Helvetica", fontsize=8];'
    for n in g.nodes:
        if n.cluster is None:
            yield "  " + _node_line(n)
    yield from _cluster_lines(g, None, "  ")
    shared = {n.id for n in g.nodes if n.shared > 1}
    for e in g.edges:
        attrs = f"label={_quote(e.label)}"
        if e.kind == "delay":
            attrs += ', style=dashed, color="#c0392b", fontcolor="#c0392b", dir=forward'
        elif e.tail in shared:
            attrs += ', color="#e67e22", penwidth=1.5'
        yield f"  {e.tail} -> {e.head} [{attrs}];"
    yield "}"


def _cluster_lines(g: Any, parent: str | None, indent: str) -> Iterator[str]:
    for c in g.clusters:
        if c.parent != parent:
            continue
        yield f"{indent}subgraph {c.id} {{"
        yield f'{indent}  label={_quote(c.label)}; style="dashed,rounded"; color="#7f7f7f";'
        for n in g.nodes:
            if n.cluster == c.id:
                yield f"{indent}  " + _node_line(n)
        yield from _cluster_lines(g, c.id, indent + "  ")
        yield f"{indent}}}"
