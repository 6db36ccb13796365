"""Pictures of the computation: training curves, computational graphs (DOT, rendered with Graphviz
when installed) and the HTML run report. matplotlib and Graphviz are optional, imported only
when a picture is drawn."""

from nnblocks.viz.curves import plot_curves
from nnblocks.viz.dot import graphviz_available, render_dot
from nnblocks.viz.graph import Graph, graph

__all__ = ["Graph", "graph", "graphviz_available", "plot_curves", "render_dot"]
