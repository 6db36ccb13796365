r"""Bayesian networks over discrete variables with named states.

A Bayesian network is a directed acyclic graph (DAG) over variables :math:`X_1, \dots, X_n` with
one conditional probability table per node; its joint distribution factorizes as

.. math::
    P(x_1, \dots, x_n) = \prod_{i=1}^{n} P\big(x_i \mid \mathrm{pa}(x_i)\big),

where :math:`\mathrm{pa}(x_i)` is the assignment of the parents of :math:`X_i`. Acyclicity is
checked on every edge added, so the graph is a DAG at all times.

Example:
    >>> net = BayesNet("coin")
    >>> net.add_node("Coin", ["heads", "tails"], cpt={"heads": 0.5, "tails": 0.5})
    >>> net.add_node("Call", ["heads", "tails"], parents=["Coin"],
    ...              cpt={"heads": [0.9, 0.1], "tails": [0.2, 0.8]})
    >>> round(net.joint_probability({"Coin": "heads", "Call": "tails"}), 10)
    0.05
    >>> net.query("Coin", evidence={"Call": "heads"}).to_dict()["heads"]  # doctest: +ELLIPSIS
    0.818...
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.bayes.cpt import CPT, make_cpt
from nnblocks.bayes.errors import BayesNetError, CPTError, CycleError, UnknownNodeError
from nnblocks.bayes.factor import resolve_state

if TYPE_CHECKING:
    from nnblocks.bayes.factor import Factor
    from nnblocks.bayes.inference import MAPResult

State = str | int  # a state name, or an integer index into the node's declared states


class BayesNet:
    """A DAG of discrete nodes with named states and one CPT per node.

    Nodes keep the order in which they were added (``nodes``); parents keep the order in which
    their edges were added, which is the axis order of the node's CPT.

    Args:
        name: a label used in printing and in saved files.
    """

    def __init__(self, name: str = "bayesnet") -> None:
        self.name = str(name)
        self._states: dict[str, tuple[str, ...]] = {}
        self._parents: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}
        self._cpts: dict[str, CPT] = {}
        self._compiled: object = None  # inference's integer form, dropped on every change

    # ------------------------------------------------------------------------------ structure
    def add_node(
        self,
        node: str,
        states: Sequence[str],
        *,
        parents: Sequence[str] = (),
        cpt: object = None,
    ) -> None:
        """Add ``node`` with its declared state names; optionally its parents and CPT at once.

        Args:
            node: a new, non-empty name.
            states: at least one distinct state name, in the order used by arrays and samples.
            parents: existing nodes; edges ``parent -> node`` are added in this order.
            cpt: a table for :meth:`set_cpt` (array or nested dicts), or ``None`` to set later.
        """
        if not isinstance(node, str) or not node:
            raise BayesNetError(f"node names must be non-empty strings, got {node!r}")
        if node in self._states:
            raise BayesNetError(f"node '{node}' already exists")
        if isinstance(states, str):
            raise BayesNetError(f"node '{node}': states must be a list of names, got {states!r}")
        names = tuple(states)
        if not names or not all(isinstance(s, str) and s for s in names):
            raise BayesNetError(
                f"node '{node}': states must be a non-empty list of non-empty strings, "
                f"got {list(names)}"
            )
        if len(set(names)) != len(names):
            raise BayesNetError(f"node '{node}': state names must be distinct, got {list(names)}")
        for parent in parents:
            self._check_node(parent, f"parent of new node '{node}'")
        self._compiled = None
        self._states[node] = names
        self._parents[node] = []
        self._children[node] = []
        try:
            for parent in parents:
                self.add_edge(parent, node)
            if cpt is not None:
                self.set_cpt(node, cpt)
        except BayesNetError:
            self._discard_new_node(node)  # all or nothing: a failed add leaves no trace
            raise

    def add_edge(self, parent: str, child: str) -> None:
        """Add ``parent -> child``; raises :class:`CycleError` (showing the cycle) if cyclic.

        The child must not have a CPT yet (its layout would change); add edges before CPTs, or
        :meth:`remove_cpt` first.
        """
        self._check_node(parent, "edge parent")
        self._check_node(child, "edge child")
        if parent in self._parents[child]:
            raise BayesNetError(f"edge {parent} -> {child} already exists")
        path = self._directed_path(child, parent)
        if path is not None:
            cycle = " -> ".join([parent, *path])
            raise CycleError(f"adding edge {parent} -> {child} would create the cycle {cycle}")
        if child in self._cpts:
            raise CPTError(
                f"node '{child}' already has a CPT over parents {self.parents(child)}; adding "
                f"parent '{parent}' would change its layout. Add edges before CPTs, or call "
                f"remove_cpt('{child}') first"
            )
        self._compiled = None
        self._parents[child].append(parent)
        self._children[parent].append(child)

    def add_edges(self, edges: Iterable[tuple[str, str]]) -> None:
        """Add several ``(parent, child)`` edges, each checked for cycles."""
        for parent, child in edges:
            self.add_edge(parent, child)

    @property
    def nodes(self) -> list[str]:
        """Node names in insertion order (the column order of sample arrays)."""
        return list(self._states)

    @property
    def edges(self) -> list[tuple[str, str]]:
        """``(parent, child)`` pairs, grouped by child in node order."""
        return [(p, c) for c in self._states for p in self._parents[c]]

    def states(self, node: str) -> tuple[str, ...]:
        """Declared state names of ``node``."""
        self._check_node(node)
        return self._states[node]

    def cardinality(self, node: str) -> int:
        """Number of states of ``node``."""
        return len(self.states(node))

    def state_index(self, node: str, state: State) -> int:
        """Index of ``state`` (a name, or an integer index) of ``node``; clear error if unknown."""
        return resolve_state(node, self.states(node), state)

    def parents(self, node: str) -> tuple[str, ...]:
        """Parents of ``node`` in CPT axis order."""
        self._check_node(node)
        return tuple(self._parents[node])

    def children(self, node: str) -> tuple[str, ...]:
        """Children of ``node``."""
        self._check_node(node)
        return tuple(self._children[node])

    def ancestors(self, nodes: str | Iterable[str]) -> set[str]:
        """Nodes with a directed path to some node of ``nodes`` (excluding ``nodes`` themselves,
        unless one of them is an ancestor of another)."""
        return self._reach(self.check_nodes(nodes), self._parents)

    def descendants(self, nodes: str | Iterable[str]) -> set[str]:
        """Nodes reachable by a directed path from some node of ``nodes``."""
        return self._reach(self.check_nodes(nodes), self._children)

    def topological_order(self) -> list[str]:
        """Every parent before its children (Kahn's algorithm; ties in insertion order)."""
        indegree = {n: len(p) for n, p in self._parents.items()}
        ready = deque(n for n in self._states if indegree[n] == 0)
        order = []
        while ready:
            node = ready.popleft()
            order.append(node)
            for child in self._children[node]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        return order

    def markov_blanket(self, node: str) -> set[str]:
        r"""Parents, children and the children's other parents of ``node``.

        Given its Markov blanket, a node is independent of every other node:
        :math:`X \perp \mathrm{rest} \mid \mathrm{MB}(X)`.
        """
        blanket = set(self.parents(node)) | set(self._children[node])
        for child in self._children[node]:
            blanket |= set(self._parents[child])
        blanket.discard(node)
        return blanket

    # ----------------------------------------------------------------------------------- CPTs
    def set_cpt(self, node: str, table: object) -> CPT:
        """Validate and attach ``P(node | parents)``; see :func:`nnblocks.bayes.cpt.make_cpt`.

        ``table`` is an array of shape ``(card(parents)..., card(node))`` or nested dicts keyed
        by parent assignment; a :class:`CPT` is accepted if its parents match.
        """
        self._check_node(node)
        parents = self.parents(node)
        if isinstance(table, CPT):
            if table.variable != node or table.parents != parents:
                raise CPTError(
                    f"{table.title} cannot be the CPT of '{node}' with parents {parents}"
                )
            table = table.values
        cpt = make_cpt(node, self._states[node], parents, [self._states[p] for p in parents], table)
        self._compiled = None
        self._cpts[node] = cpt
        return cpt

    def cpt(self, node: str) -> CPT:
        """The CPT of ``node``; raises if it was never set."""
        self._check_node(node)
        if node not in self._cpts:
            raise CPTError(f"node '{node}' has no CPT yet; call set_cpt('{node}', table)")
        return self._cpts[node]

    def has_cpt(self, node: str) -> bool:
        """Whether ``node`` has a CPT."""
        self._check_node(node)
        return node in self._cpts

    def remove_cpt(self, node: str) -> None:
        """Forget the CPT of ``node`` (e.g. before adding a parent)."""
        self._check_node(node)
        self._compiled = None
        self._cpts.pop(node, None)

    def check_model(self) -> None:
        """Raise unless every node has a CPT (the network then defines a joint distribution)."""
        missing = [n for n in self._states if n not in self._cpts]
        if missing:
            raise CPTError(f"network '{self.name}': nodes without a CPT: {missing}")

    # ----------------------------------------------------------------------------- likelihood
    def joint_probability(self, assignment: Mapping[str, State]) -> float:
        r"""Probability of a full assignment (every node; states as names or indices).

        .. math:: P(x_1, \dots, x_n) = \prod_i P(x_i \mid \mathrm{pa}(x_i))
        """
        self.check_model()
        index = self._full_assignment(assignment)
        p = 1.0
        for node, cpt in self._cpts.items():
            p *= float(cpt.values[tuple(index[v] for v in (*cpt.parents, node))])
        return p

    def log_likelihood(self, data: object) -> float:
        r"""Log-likelihood of complete data.

        .. math:: \log P(\mathcal{D}) = \sum_m \sum_i \log P(x_i^{(m)} \mid \mathrm{pa}_i^{(m)})

        ``data``: a dict of columns, a list of row dicts, or an int array of state indices with
        columns in ``nodes`` order. Returns ``-inf`` if some row has probability zero.
        """
        from nnblocks.bayes.data import encode_data

        self.check_model()
        columns = encode_data(self, data)
        total = 0.0
        with np.errstate(divide="ignore"):
            for node, cpt in self._cpts.items():
                probs = cpt.values[tuple(columns[v] for v in (*cpt.parents, node))]
                total += float(np.sum(np.log(probs)))
        return total

    # ---------------------------------------------------- inference, sampling (thin wrappers)
    def query(
        self,
        variables: str | Sequence[str],
        evidence: Mapping[str, State] | None = None,
        **options: object,
    ) -> Factor:
        """Posterior ``P(variables | evidence)``; see :func:`nnblocks.bayes.inference.query`."""
        from nnblocks.bayes.inference import query

        return query(self, variables, evidence, **options)  # type: ignore[arg-type]

    def marginals(
        self, evidence: Mapping[str, State] | None = None, **options: object
    ) -> dict[str, Factor]:
        """Every non-evidence node's posterior from one calibrated junction tree; see
        :func:`nnblocks.bayes.junction_tree.marginals`."""
        from nnblocks.bayes.junction_tree import marginals

        return marginals(self, evidence, **options)  # type: ignore[arg-type]

    def map_query(
        self,
        variables: Sequence[str] | None = None,
        evidence: Mapping[str, State] | None = None,
        **options: object,
    ) -> MAPResult:
        """Most probable assignment; see :func:`nnblocks.bayes.inference.map_query`."""
        from nnblocks.bayes.inference import map_query

        return map_query(self, variables, evidence, **options)  # type: ignore[arg-type]

    def sample(
        self, n: int, rng: np.random.Generator | None = None, **options: object
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Ancestral samples; see :func:`nnblocks.bayes.sampling.forward_sample`."""
        from nnblocks.bayes.sampling import forward_sample

        return forward_sample(self, n, rng=rng, **options)  # type: ignore[arg-type]

    # ---------------------------------------------------------------------------- conveniences
    def copy(self) -> BayesNet:
        """An independent copy (CPT arrays are read-only and shared)."""
        other = BayesNet(self.name)
        other._states = dict(self._states)
        other._parents = {n: list(p) for n, p in self._parents.items()}
        other._children = {n: list(c) for n, c in self._children.items()}
        other._cpts = dict(self._cpts)
        return other

    def __contains__(self, node: object) -> bool:
        return node in self._states

    def __len__(self) -> int:
        return len(self._states)

    def __repr__(self) -> str:
        return (
            f"BayesNet('{self.name}', {len(self._states)} nodes, {len(self.edges)} edges, "
            f"{len(self._cpts)} CPTs)"
        )

    def __str__(self) -> str:
        parts = [repr(self)]
        for node in self._states:
            if node in self._cpts:
                parts.append(str(self._cpts[node]))
            else:
                parts.append(f"P({node} | {', '.join(self._parents[node])}): no CPT yet")
        return "\n\n".join(parts)

    # -------------------------------------------------------------------------------- helpers
    def check_nodes(self, nodes: str | Iterable[str], role: str = "node") -> list[str]:
        """``nodes`` as a list (a single name allowed), each checked to exist."""
        names = [nodes] if isinstance(nodes, str) else list(nodes)
        for n in names:
            self._check_node(n, role)
        return names

    def _check_node(self, node: object, role: str = "node") -> None:
        if not isinstance(node, str) or node not in self._states:
            known = ", ".join(self._states) if len(self._states) <= 20 else f"{len(self)} nodes"
            raise UnknownNodeError(
                f"{role} {node!r} is not a node of network '{self.name}' (nodes: {known})"
            )

    def _full_assignment(self, assignment: Mapping[str, State]) -> dict[str, int]:
        for key in assignment:
            self._check_node(key, "assigned")
        missing = [n for n in self._states if n not in assignment]
        if missing:
            raise BayesNetError(f"a full assignment is needed; no value for {missing}")
        return {n: self.state_index(n, assignment[n]) for n in self._states}

    def _discard_new_node(self, node: str) -> None:
        """Undo a partial :meth:`add_node` (the node has no children yet)."""
        self._compiled = None
        for parent in self._parents[node]:
            self._children[parent].remove(node)
        for table in (self._states, self._parents, self._children, self._cpts):
            table.pop(node, None)

    def _directed_path(self, start: str, goal: str) -> list[str] | None:
        """A directed path ``start -> ... -> goal`` as a node list, or None (breadth-first)."""
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            for child in self._children[node]:
                if child not in previous:
                    previous[child] = node
                    queue.append(child)
        return None

    @staticmethod
    def _reach(start: list[str], edges: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        stack = [n for s in start for n in edges[s]]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(edges[node])
        return seen
