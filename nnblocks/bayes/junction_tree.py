r"""A calibrated junction (clique) tree: every single-variable posterior in two passes.

Construction. Eliminating every non-evidence variable in a greedy order (as
:mod:`nnblocks.bayes.elimination` plans it) defines one clique per variable,
:math:`C_Y = \{Y\} \cup N(Y)` at the time :math:`Y` is eliminated, and a tree: the parent of
:math:`C_Y` is the clique of the first variable of :math:`N(Y)` eliminated after :math:`Y`. Its
separator :math:`S_Y = N(Y)` is a subset of the parent clique (running intersection holds by
construction). Each evidence-sliced CPT goes to the clique of its earliest-eliminated variable,
which contains its whole scope.

Calibration (Shafer-Shenoy). With :math:`\psi_Y` the product of the tables assigned to
:math:`C_Y`, the upward pass (children first) sends

.. math::
    \mu_{Y \to \mathrm{pa}(Y)}(S_Y) = \sum_{C_Y \setminus S_Y} \psi_Y
        \prod_{c \in \mathrm{ch}(Y)} \mu_{c \to Y},

which is exactly variable elimination; the downward pass sends each child :math:`c` the product
of everything else, :math:`\mu_{Y \to c} = \sum_{C_Y \setminus S_c} \psi_Y\,\mu_{\mathrm{pa}
\to Y} \prod_{c' \ne c} \mu_{c' \to Y}`, using prefix and suffix products over the children so a
clique with :math:`k` children costs :math:`O(k)` products, not :math:`O(k^2)`. Then each
clique's belief :math:`\beta_Y \propto P(C_Y, \mathbf{e})` (the product of :math:`\psi_Y` and
all incoming messages), and the marginal of :math:`Y` is :math:`\beta_Y` summed to :math:`Y`
and normalized, computed in one contraction without materializing :math:`\beta_Y`. A clique
with at most 3 children computes each downward message directly from its operands, likewise
without materializing the clique.

Numerics: tables are scaled as in :mod:`nnblocks.bayes.engine` (maximum 1, logs of the scales
kept on the upward pass), so the marginals are exact and :math:`\log P(\mathbf{e})` is
available at any magnitude. Cost: cliques are materialized, so memory is the largest clique
only where a clique has more than 3 children (``max_factor_size`` guards every clique).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.bayes.elimination import plan_elimination
from nnblocks.bayes.engine import (
    Table,
    ZeroProductError,
    compile_net,
    contract,
    reduced_tables,
)
from nnblocks.bayes.errors import BayesNetError, FactorTooLargeError, ZeroProbabilityEvidenceError
from nnblocks.bayes.factor import Factor
from nnblocks.bayes.inference import (
    DEFAULT_MAX_FACTOR_SIZE,
    Evidence,
    _observed,
    evidence_dict,
    posterior_and_plan,
    zero_evidence_message,
)

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet


class JunctionTree:
    """A clique tree of ``net`` calibrated on ``evidence``; answers every marginal at once.

    Args:
        net: a network with every CPT set.
        evidence: ``{node: state}`` or a list of ``(node, state)`` pairs.
        elimination: heuristic that shapes the tree (see :mod:`nnblocks.bayes.elimination`).
        max_factor_size: refuse (before computing) a clique above this many entries.

    Example:
        >>> from nnblocks.bayes import sprinkler
        >>> tree = JunctionTree(sprinkler(), {"WetGrass": "true"})
        >>> round(tree.marginal("Rain").to_dict()["true"], 4)
        0.7079
    """

    def __init__(
        self,
        net: BayesNet,
        evidence: Evidence | None = None,
        *,
        elimination: str = "auto",
        max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
    ) -> None:
        self.net = net
        self._evidence = evidence
        cn = compile_net(net)
        self._cn = cn
        observed = _observed(net, cn, evidence, "JunctionTree")
        try:
            tables, log_constant = reduced_tables(cn, range(len(cn.nodes)), observed)
        except ZeroProductError:
            raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
        self._build(tables, elimination, max_factor_size)
        try:
            log_scale = self._calibrate()
        except ZeroProductError:
            raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
        self.log_evidence_probability: float = log_constant + log_scale
        """:math:`\\log P(\\mathbf{e})` (``0.0`` without evidence)."""

    # ------------------------------------------------------------------------------- answers
    def marginal(self, variable: str) -> Factor:
        """:math:`P(X \\mid \\mathbf{e})` of one non-evidence variable."""
        self.net.check_nodes(variable, "JunctionTree.marginal variable")
        var = self._cn.index[variable]
        if var not in self._clique:
            raise BayesNetError(f"JunctionTree.marginal: '{variable}' is observed as evidence")
        values, _ = contract(self._incoming[var], (var,), self._cn.cards)
        return Factor([variable], values / values.sum(), {variable: self.net.states(variable)})

    def query(self, variable: str) -> Factor:
        """The same as :meth:`marginal` (the name pgmpy's ``BeliefPropagation`` uses)."""
        return self.marginal(variable)

    def family(self, node: str) -> tuple[tuple[str, ...], np.ndarray]:
        """:math:`P(\\text{unobserved members of } \\{X\\} \\cup \\mathrm{pa}(X) \\mid
        \\mathbf{e})`: their names (in CPT axis order) and the normalized table (what EM needs).
        """
        self.net.check_nodes(node, "JunctionTree.family node")
        scope = tuple(v for v in self._cn.scopes[self._cn.index[node]] if v in self._clique)
        if not scope:
            return (), np.ones(())
        home = min(scope, key=self._position.__getitem__)
        values, _ = contract(self._incoming[home], scope, self._cn.cards)
        return tuple(self._cn.nodes[v] for v in scope), values / values.sum()

    def marginals(self) -> dict[str, Factor]:
        """Every non-evidence variable's posterior, in node order."""
        return {self._cn.nodes[v]: self.marginal(self._cn.nodes[v]) for v in self._order_by_node}

    # ------------------------------------------------------------------------------ building
    def _build(self, tables: list[Table], elimination: str, max_factor_size: int) -> None:
        cards = self._cn.cards
        hidden = list(dict.fromkeys(v for scope, _ in tables for v in scope))
        plan = plan_elimination([s for s, _ in tables], cards, [hidden], elimination)
        position = {v: i for i, v in enumerate(plan.order)}
        self._position = position
        graph: dict[int, set[int]] = {}
        for scope, _ in tables:
            for v in scope:
                graph.setdefault(v, set()).update(u for u in scope if u != v)
        self._clique: dict[int, tuple[int, ...]] = {}  # var -> (var, *separator)
        self._parent: dict[int, int | None] = {}
        self._children: dict[int, list[int]] = {v: [] for v in plan.order}
        for var in plan.order:
            separator = tuple(sorted(graph.pop(var), key=position.__getitem__))
            size = cards[var] * math.prod(cards[v] for v in separator)
            if size > max_factor_size:
                raise FactorTooLargeError(
                    f"JunctionTree: clique of '{self._cn.nodes[var]}' has {size:,} entries, "
                    f"above max_factor_size={max_factor_size:,}"
                )
            self._clique[var] = (var, *separator)
            self._parent[var] = separator[0] if separator else None
            if separator:
                self._children[separator[0]].append(var)
            for v in separator:
                graph[v].discard(var)
                graph[v].update(u for u in separator if u != v)
        self._order = list(plan.order)
        self._order_by_node = sorted(plan.order)
        self._assigned: dict[int, list[Table]] = {v: [] for v in plan.order}
        for scope, values in tables:
            first = min(scope, key=position.__getitem__)
            self._assigned[first].append((scope, values))

    def _calibrate(self) -> float:
        cards = self._cn.cards
        up: dict[int, Table] = {}
        log_scale = 0.0
        for var in self._order:  # children are eliminated before their parent
            clique = self._clique[var]
            incoming = self._assigned[var] + [up[c] for c in self._children[var]]
            values, log_step = contract(incoming or [((), _ONE)], clique[1:], cards)
            log_scale += log_step
            up[var] = (clique[1:], values)
        down: dict[int, Table] = {}
        self._incoming: dict[int, list[Table]] = {}  # everything a clique's belief multiplies
        for var in reversed(self._order):
            clique = self._clique[var]
            base = list(self._assigned[var])
            if var in down:
                base.append(down[var])
            children = self._children[var]
            self._incoming[var] = base + [up[c] for c in children]
            if len(children) <= _DIRECT_CHILDREN:  # each message straight from the operands
                for child in children:
                    others = [up[c] for c in children if c != child]
                    separator = self._clique[child][1:]
                    down[child] = (separator, contract(base + others or [((), _ONE)],
                                                       separator, cards)[0])  # fmt: skip
                continue
            # many children: prefix and suffix products over the clique, O(k) not O(k^2)
            prefix = [contract(base or [((), _ONE)], clique, cards)[0]]
            for child in children[:-1]:
                prefix.append(contract([(clique, prefix[-1]), up[child]], clique, cards)[0])
            suffix: list[Table] = []
            for i in range(len(children) - 1, -1, -1):
                child = children[i]
                separator = self._clique[child][1:]
                parts = [(clique, prefix[i]), *suffix]
                down[child] = (separator, contract(parts, separator, cards)[0])
                merged = [up[child], *suffix]
                suffix = [(clique, contract(merged, clique, cards)[0])]
        return log_scale


# a clique with at most this many children computes each downward message directly from its
# operands (nothing materialized over the clique); above it, prefix/suffix products
_DIRECT_CHILDREN = 3
_ONE = np.ones(())  # the empty product


def marginals(
    net: BayesNet,
    evidence: Evidence | None = None,
    *,
    variables: Sequence[str] | None = None,
    elimination: str = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> dict[str, Factor]:
    """Posterior of every non-evidence node (or of ``variables``), from one calibrated junction
    tree, or from one variable elimination per node when that is planned to be cheaper.

    The choice is made on planned costs, never on wall-clock time (so it is deterministic):
    the tree costs about four times the multiply-adds of eliminating every variable (one
    upward, two downward contractions per clique, and the marginal; a calibrated constant)
    plus a fixed cost per step. When that is large, the nodes are queried one at a time while
    the sum of their planned costs stays below the tree's; past it, the tree is built (so at
    most about the tree's cost is spent on the attempt). Per-node queries are also used when a
    clique would exceed ``max_factor_size`` while every query stays within it. Both give the
    same marginals (tested to 1e-12).
    """
    names = [n for n in net.nodes if n not in evidence_dict(evidence, "marginals")]
    if variables is not None:
        names = net.check_nodes(variables, "marginals variable")
    cn = compile_net(net)
    observed = _observed(net, cn, evidence, "marginals")
    try:
        tables, _ = reduced_tables(cn, range(len(cn.nodes)), observed)
    except ZeroProductError:
        raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
    hidden = list(dict.fromkeys(v for scope, _ in tables for v in scope))
    tree_plan = plan_elimination([s for s, _ in tables], cn.cards, [hidden], elimination,
                                 stored=hidden)  # fmt: skip
    too_large = tree_plan.largest_size > max_factor_size
    tree_cost = 4 * (tree_plan.total_work + _STEP_COST * len(tree_plan.order))
    if too_large or tree_cost > _CHECK_PER_NODE_COST:
        # one query per node while their summed planned cost stays below the tree's (so at
        # most about the tree's cost is spent before switching to it)
        answers: dict[str, Factor] = {}
        spent = 0
        for v in names:
            try:
                answers[v], plan = posterior_and_plan(net, v, evidence, elimination,
                                                      max_factor_size)  # fmt: skip
            except FactorTooLargeError:
                if too_large:
                    raise
                break
            spent += plan.total_work + _STEP_COST * len(plan.order) + _QUERY_COST
            if spent >= tree_cost and not too_large:
                break
        else:
            return answers
    tree = JunctionTree(net, evidence, elimination=elimination, max_factor_size=max_factor_size)
    return {v: tree.marginal(v) for v in names}


# Costs in multiply-add equivalents (measured on a 2-core x86 machine, NumPy 2): a Python-level
# elimination step (planning + einsum call) is worth about 2*10^4 multiply-adds, a query's
# fixed overhead about 10^5. Below _CHECK_PER_NODE_COST the tree is used without comparing.
_STEP_COST = 20_000
_QUERY_COST = 100_000
_CHECK_PER_NODE_COST = 10_000_000
