"""Draw a network's DAG with matplotlib (imported lazily; only this module needs it).

Layout: a node's layer is the length of the longest directed path from a root to it, so every
edge points downwards; nodes of a layer are spread evenly and centred. Nodes are ellipses sized
to their labels; arrows are cut at the ellipse boundaries. Observed nodes can be shaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet


def layout(net: BayesNet) -> dict[str, tuple[float, float]]:
    """Node centres ``{node: (x, y)}``: layers by longest path from a root, top to bottom."""
    layer: dict[str, int] = {}
    for node in net.topological_order():
        layer[node] = 1 + max((layer[p] for p in net.parents(node)), default=-1)
    rows: dict[int, list[str]] = {}
    for node in net.nodes:
        rows.setdefault(layer[node], []).append(node)
    width = max(_half_width(n) for n in net.nodes) * 2 + 0.6 if len(net) else 1.0
    positions = {}
    for depth, members in rows.items():
        for i, node in enumerate(members):
            positions[node] = ((i - (len(members) - 1) / 2) * width, -1.5 * depth)
    return positions


def draw(
    net: BayesNet,
    path: str | Path | None = None,
    *,
    ax: Any = None,
    observed: Iterable[str] = (),
    title: str | None = None,
) -> Any:
    """Draw the DAG into ``ax`` (a new figure when ``None``); save a PNG when ``path`` is given.

    Returns the matplotlib ``Figure``. Raises :class:`ImportError` with an explanation if
    matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Ellipse, FancyArrowPatch
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("nnblocks.bayes.draw needs matplotlib (pip install matplotlib)") from exc
    shaded = set(net.check_nodes(observed, "observed node"))
    positions = layout(net)
    if ax is None:
        n_layers = 1 + round(-min((y for _, y in positions.values()), default=0) / 1.5)
        xs = [x for x, _ in positions.values()] or [0.0]
        fig = Figure(figsize=(max(3.0, 1.2 * (max(xs) - min(xs)) + 2.5), 1.0 + 1.3 * n_layers))
        ax = fig.add_subplot()
    fig = ax.figure
    for node, (x, y) in positions.items():
        face = "#c9d7ea" if node in shaded else "white"
        ax.add_patch(
            Ellipse(
                (x, y),
                2 * _half_width(node),
                2 * _HALF_HEIGHT,
                facecolor=face,
                edgecolor="black",
                linewidth=1.2,
                zorder=2,
            )
        )
        ax.text(x, y, node, ha="center", va="center", fontsize=9, zorder=3)
    for parent, child in net.edges:
        start = _boundary(positions[parent], positions[child], _half_width(parent))
        end = _boundary(positions[child], positions[parent], _half_width(child))
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=12,
                linewidth=1.1,
                color="#333333",
                zorder=1,
            )
        )
    xs = [x for x, _ in positions.values()] or [0.0]
    ys = [y for _, y in positions.values()] or [0.0]
    margin = max((_half_width(n) for n in net.nodes), default=0.5) + 0.2
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")
    ax.set_title(title if title is not None else net.name)
    if path is not None:
        fig.savefig(Path(path), dpi=100, bbox_inches="tight")
    return fig


_HALF_HEIGHT = 0.35


def _half_width(node: str) -> float:
    return max(0.45, 0.07 * len(node) + 0.2)


def _boundary(
    centre: tuple[float, float], towards: tuple[float, float], half_width: float
) -> tuple[float, float]:
    """Where the segment from ``centre`` to ``towards`` leaves the node's ellipse."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    norm = math.hypot(dx / half_width, dy / _HALF_HEIGHT)
    if norm == 0.0:
        return centre
    return centre[0] + dx / norm, centre[1] + dy / norm
