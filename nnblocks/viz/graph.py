r"""The computational graph behind a tensor, drawn as the lecture draws networks: a composition of
computing blocks :math:`y = f_n(\dots f_1(x; \theta_1) \dots; \theta_n)`.

:func:`graph` walks the blocks recorded by the forward pass (the :class:`~nnblocks.core.Node` s
that ``backward`` replays) from a tensor back to its leaves and returns a :class:`Graph`: block
nodes (boxes), parameter and input nodes (ellipses: name, shape, dtype), the output, and one edge
per tensor flowing between them, labelled with its shape and dtype. ``Graph.source`` is Graphviz
DOT text, produced with no dependency; ``Graph.render`` / ``Graph.pipe`` turn it into SVG or PNG
when Graphviz is installed (the ``graphviz`` Python package or the ``dot`` program).

As in torchviz's ``make_dot(y, params=dict(model.named_parameters()))``, parameters are named
from ``params``. Options:

- ``expand=True``: fused blocks (``Linear``, ``CrossEntropy``, ``RNNLayer``) are drawn as the
  primitive blocks they stand for, inside a dashed box named after the fused block.
- ``unfold=True``: a recurrent layer over T steps is drawn *unfolded in time*, one cell per step,
  every cell fed by the same parameter nodes (marked "shared by T blocks"); without it the layer
  is drawn *folded*, one block with a delay loop :math:`h^{(t-1)} \to h^{(t)}`, the two pictures
  of Goodfellow et al. (2016), Fig. 10.2.
- ``values=True``: the forward value of the output and the leaves, and the gradients of leaves
  after ``backward(retain_graph=True)``, summarized in the labels.

The graph must be drawn before ``backward()`` frees it (or after ``backward(retain_graph=True)``).

>>> import nnblocks as nb, nnblocks.nn as nn
>>> model = nn.Linear(3, 2, rng=np.random.default_rng(0))
>>> g = graph(model(nb.tensor(np.ones((4, 3), np.float32))), params=model)
>>> [n.name for n in g.nodes]
['output', 'Linear', 'input', 'weight', 'bias']
>>> print(g.source.splitlines()[0])
digraph nnblocks {
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.core import Node, Tensor, enable_grad
from nnblocks.nn.parameter import Parameter
from nnblocks.viz.dot import dot_lines, render_dot
from nnblocks.viz.expand import PRIMITIVES, UNFOLDINGS, steps_of


@dataclass
class GraphNode:
    """A node of the drawing: a block application, or a tensor (leaf or the output).

    ``kind`` is ``"block"``, ``"parameter"`` (a ``Parameter``, or a leaf named in ``params``,
    that requires grad), ``"input"`` (any other leaf) or ``"output"``; ``name`` the block's
    class name or the tensor's name; ``shared`` the number of blocks that read a parameter
    (> 1: a shared parameter).
    """

    id: str
    kind: str
    name: str
    label: str
    cluster: str | None = None
    shared: int = 1


@dataclass
class GraphEdge:
    """A tensor flowing from ``tail`` to ``head`` (node ids); ``kind`` ``"data"`` or ``"delay"``
    (the recurrent loop of a folded RNN)."""

    tail: str
    head: str
    label: str
    kind: str = "data"


@dataclass
class Cluster:
    """A dashed box around the blocks that stand for one fused block (expanded or unfolded)."""

    id: str
    label: str
    parent: str | None = None


@dataclass
class Graph:
    """Nodes, edges and clusters of a computational graph; ``source`` is its DOT text."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    rankdir: str = "BT"

    def by_name(self, name: str) -> list[GraphNode]:
        """The nodes called ``name`` (a block class or a tensor name)."""
        return [n for n in self.nodes if n.name == name]

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def edges_between(self, tail: str, head: str) -> list[GraphEdge]:
        """Edges from nodes named ``tail`` to nodes named ``head``."""
        tails = {n.id for n in self.by_name(tail)}
        heads = {n.id for n in self.by_name(head)}
        return [e for e in self.edges if e.tail in tails and e.head in heads]

    @property
    def source(self) -> str:
        """The graph in Graphviz's DOT language."""
        return "\n".join(dot_lines(self)) + "\n"

    def pipe(self, format: str = "svg") -> bytes:
        """The graph rendered by Graphviz as ``format`` (``svg``, ``png``, ``pdf``...)."""
        return render_dot(self.source, format)

    def render(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write the graph to ``path``: DOT text for ``.dot``/``.gv``, else rendered by Graphviz
        in the format of the suffix (or ``format``). Returns the path."""
        path = Path(path)
        fmt = format or path.suffix.lstrip(".") or "svg"
        if fmt in ("dot", "gv"):
            path.write_text(self.source)
        else:
            path.write_bytes(self.pipe(fmt))
        return path

    def _repr_svg_(self) -> str:                       # Jupyter shows the picture
        return self.pipe("svg").decode()


def graph(
    tensor: Tensor,
    params: Any = None,
    *,
    inputs: Mapping[str, Tensor] | None = None,
    expand: bool = False,
    unfold: bool = False,
    values: bool = False,
    rankdir: str = "BT",
) -> Graph:
    """The graph of blocks that computed ``tensor`` (see the module docstring).

    Args:
        tensor: usually a loss or a model's output, before ``backward()`` (or after
            ``backward(retain_graph=True)``).
        params: a Module, or a mapping name → tensor, to name the parameters.
        inputs: a mapping name → tensor, to name data leaves (drawn as inputs even when they
            require grad).
        expand: draw fused blocks as the primitive blocks they stand for.
        unfold: draw recurrent layers unfolded in time, one cell per step.
        values: add value summaries (and gradients of leaves, when present) to the labels.
        rankdir: Graphviz layout direction (``"BT"``: inputs at the bottom, as in the lecture).

    Raises:
        TypeError: ``tensor`` is not a Tensor.
        RuntimeError: the graph was freed by a ``backward()`` without ``retain_graph``.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(tensor).__name__}")
    walker = _Walker(_names(params), expand=expand, unfold=unfold, values=values)
    walker.input_names = {id(t): name for name, t in (inputs or {}).items()}
    walker.walk(tensor)
    walker.graph.rankdir = rankdir
    _mark_shared(walker.graph)
    return walker.graph


def _names(params: Any) -> dict[int, str]:
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError(f"graph: params must be a Module or a mapping name -> tensor, got "
                        f"{type(params).__name__}")
    return {id(t): name for name, t in params.items()}


def shape_text(t: Any) -> str:
    """``(2, 4) float32``: what an edge or a tensor node says about a tensor."""
    return f"({', '.join(str(s) for s in t.shape)}{',' if len(t.shape) == 1 else ''}) {t.dtype}"


def summary(array: np.ndarray) -> str:
    """A short text for an array: its values when there are at most 4, else mean and std."""
    a = np.asarray(array, dtype=np.float64)
    if a.size <= 4:
        return np.array2string(a.ravel(), precision=3, separator=", ")
    return f"mean {a.mean():.3g}, std {a.std():.3g}"


class _Walker:
    """Walks nodes from the output to the leaves (iteratively), replacing fused blocks by their
    expansions where asked, and builds the :class:`Graph`."""

    def __init__(self, names: dict[int, str], *, expand: bool, unfold: bool, values: bool):
        self.names, self.expand, self.unfold, self.values = names, expand, unfold, values
        self.input_names: dict[int, str] = {}
        self.graph = Graph()
        self.block_ids: dict[Node, str] = {}
        self.leaf_ids: dict[int, str] = {}
        self.keep: list[Any] = []                     # proxies and leaves: ids stay valid
        self.proxies: dict[int, Tensor] = {}          # id(proxy) -> the tensor it stands for
        self.expanded: dict[Node, tuple | None] = {}
        self.cluster_of: dict[Node, str] = {}
        self.step_labels: dict[Node, str] = {}        # "t = 3" on unfolded cells
        self.todo: list[Node] = []

    def add(self, kind: str, name: str, label: str, cluster: str | None = None) -> str:
        node_id = f"n{len(self.graph.nodes)}"
        self.graph.nodes.append(GraphNode(node_id, kind, name, label, cluster))
        return node_id

    def walk(self, tensor: Tensor) -> None:
        label = "output\n" + shape_text(tensor)
        if self.values:
            label += "\nvalue: " + summary(tensor.array)
        out = self.add("output", "output", label)
        tail, index = self.source(tensor)
        self.graph.edges.append(GraphEdge(tail, out, _edge_label(tensor, index)))
        while self.todo:
            self.visit(self.todo.pop())

    def visit(self, node: Node) -> None:
        head = self.block_ids[node]
        for x in node.inputs:
            if isinstance(x, Tensor):
                tail, index = self.source(x)
                self.graph.edges.append(GraphEdge(tail, head, _edge_label(x, index)))
        steps = steps_of(node.block, node.inputs)
        if steps is not None and steps > 1:            # folded: the delay loop h(t-1) -> h(t)
            self.graph.edges.append(GraphEdge(head, head, f"h(t-1): delay, T = {steps}",
                                              "delay"))

    def source(self, t: Tensor) -> tuple[str, int | None]:
        """The drawn node that produced ``t`` (a block, or a leaf) and the output index."""
        while id(t) in self.proxies:
            t = self.proxies[id(t)]
        node = t._node
        if node is None:
            return self.leaf(t), None
        if node.freed:
            raise RuntimeError(
                f"graph: the graph behind this tensor was freed by backward() (at "
                f"{node.block.label()}); draw it before backward(), or call "
                "backward(retain_graph=True)"
            )
        outputs = self.expansion(node)
        if outputs is not None:
            return self.source(outputs[t._out_index])
        return self.block(node), (t._out_index if node.multi else None)

    def block(self, node: Node) -> str:
        if node not in self.block_ids:
            name = node.block.label()
            label = name
            steps = steps_of(node.block, node.inputs)
            if steps is not None and steps > 1:
                label += f"\nfolded, T = {steps} steps"
            elif steps == 1:
                label += "\none step (cell)"
                if node in self.step_labels:
                    label += ", " + self.step_labels[node]
            if node.block in PRIMITIVES and steps != 1:
                label += "\n(fused)"
            self.block_ids[node] = self.add("block", name, label, self.cluster_of.get(node))
            self.todo.append(node)
        return self.block_ids[node]

    def leaf(self, t: Tensor) -> str:
        if id(t) not in self.leaf_ids:
            self.keep.append(t)
            named = id(t) in self.names or isinstance(t, Parameter)
            data = id(t) in self.input_names
            kind = "parameter" if t.requires_grad and named and not data else "input"
            name = self.input_names.get(id(t)) or self.names.get(
                id(t), "input" if not t.requires_grad else "leaf")
            label = f"{name}\n{shape_text(t)}"
            if self.values:
                label += "\nvalue: " + summary(t.array)
                if t.grad is not None:
                    label += "\ngrad: " + summary(t.grad)
            self.leaf_ids[id(t)] = self.add(kind, name, label)
        return self.leaf_ids[id(t)]

    def expansion(self, node: Node) -> tuple | None:
        """The outputs of the blocks drawn in place of ``node``, or None to draw it as is."""
        if node in self.expanded:
            return self.expanded[node]
        steps = steps_of(node.block, node.inputs) or 0
        if self.unfold and node.block in UNFOLDINGS and steps > 1:
            function, title = UNFOLDINGS[node.block], f"{node.block.label()} unfolded, T = {steps}"
        elif self.expand and node.block in PRIMITIVES:
            function, title = PRIMITIVES[node.block], f"{node.block.label()} in primitives"
        else:
            self.expanded[node] = None
            return None
        inputs = [self.proxy(x) for x in node.inputs]
        try:
            with enable_grad():
                outputs = function(inputs, node.saved)
        except NotImplementedError:
            self.expanded[node] = None
            return None
        self.step_labels.update(getattr(outputs, "labels", {}))
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        self.keep.append(outputs)
        cluster = f"cluster_{len(self.graph.clusters)}"
        self.graph.clusters.append(Cluster(cluster, title, self.cluster_of.get(node)))
        for inner in _new_nodes(outputs):
            self.cluster_of.setdefault(inner, cluster)
        self.expanded[node] = outputs
        return outputs

    def proxy(self, x: Any) -> Any:
        """A leaf standing for input ``x`` that requires grad, so every block applied to it is
        recorded; the walker maps it back to ``x``."""
        if not isinstance(x, Tensor) or x.dtype.kind != "f":
            return x
        p = Tensor(x.array, requires_grad=True)
        self.keep.append(p)
        self.proxies[id(p)] = x
        return p


def _new_nodes(outputs: tuple) -> Iterator[Node]:
    """Every node reachable from ``outputs`` (an expansion's nodes: its inputs are leaves)."""
    seen: set[Node] = set()
    stack = [t._node for t in outputs if t._node is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(x._node for x in node.inputs if isinstance(x, Tensor) and x._node)


def _edge_label(t: Tensor, index: int | None) -> str:
    return (f"[{index}] " if index is not None else "") + shape_text(t)


def _mark_shared(g: Graph) -> None:
    """A parameter read by several blocks (one RNN cell per time step) is one node, marked."""
    readers: dict[str, set[str]] = {}
    for e in g.edges:
        readers.setdefault(e.tail, set()).add(e.head)
    for n in g.nodes:
        if n.kind == "parameter" and len(readers.get(n.id, ())) > 1:
            n.shared = len(readers[n.id])
            n.label += f"\nshared by {n.shared} blocks"
