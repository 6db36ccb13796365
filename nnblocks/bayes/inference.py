r"""Exact inference by variable elimination: posteriors, probability of evidence, MAP / MPE.

Posterior query. With query variables :math:`\mathbf{Q}`, evidence :math:`\mathbf{E}=\mathbf{e}`
and hidden variables :math:`\mathbf{H}`,

.. math::
    P(\mathbf{q} \mid \mathbf{e}) = \frac{1}{P(\mathbf{e})}
        \sum_{\mathbf{h}} \prod_i P(x_i \mid \mathrm{pa}(x_i)) \Big|_{\mathbf{E}=\mathbf{e}},

computed by pushing each sum inside the product: eliminating :math:`H` replaces the factors
:math:`\phi_1..\phi_m` that mention it by :math:`\psi = \sum_h \prod_j \phi_j` (one
:func:`numpy.einsum` call). Evidence is applied first by slicing every CPT; nodes that are
neither query, evidence, nor their ancestors are pruned (barren nodes sum to one), and so are
the factors d-separated from the query given the evidence (:mod:`nnblocks.bayes.engine`). The
order comes from a greedy heuristic (:mod:`nnblocks.bayes.elimination`, cardinality-aware by
default), planned on scopes before any table is built, so a query whose largest *built* table
exceeds ``max_factor_size`` entries is refused up front with :class:`FactorTooLargeError`.

Numerics. Every intermediate table is scaled to a maximum of 1 and the scales are kept as one
log (see :mod:`nnblocks.bayes.engine`), so evidence of probability far below float64's
:math:`10^{-308}` gives the exact posterior, :func:`log_evidence_probability` gives
:math:`\log P(\mathbf{e})` at any magnitude, and :class:`ZeroProbabilityEvidenceError` means
:math:`P(\mathbf{e}) = 0` exactly, never an underflow.

MAP. The most probable explanation (MPE) of all non-evidence variables,
:math:`\arg\max_{\mathbf{x}} P(\mathbf{x}, \mathbf{e})`, replaces sums by maxima (max-product)
and records the arg-max of each eliminated variable as a table over the remaining scope; a
backward pass reads off the maximiser. For MAP over a subset :math:`\mathbf{M}`, the other
hidden variables are summed out first, then :math:`\mathbf{M}` is maximised:
:math:`\arg\max_{\mathbf{m}} \sum_{\mathbf{h}} P(\mathbf{m}, \mathbf{h}, \mathbf{e})`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nnblocks.bayes.elimination import EliminationPlan, plan_elimination
from nnblocks.bayes.engine import (
    CompiledNet,
    Table,
    ZeroProductError,
    ancestral_set,
    compile_net,
    connected_to,
    contract,
    eliminate,
    reduced_tables,
)
from nnblocks.bayes.errors import BayesNetError, FactorTooLargeError, ZeroProbabilityEvidenceError
from nnblocks.bayes.factor import Factor

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet, State

DEFAULT_MAX_FACTOR_SIZE = 10_000_000  # entries, i.e. 80 MB of float64 per built table

Evidence = Mapping[str, "State"] | Sequence[tuple[str, "State"]]


class MAPResult(NamedTuple):
    """Result of :func:`map_query`.

    Attributes:
        assignment: ``{variable: state name}`` of the maximiser.
        probability: :math:`P(\\text{assignment} \\mid \\text{evidence})`.
    """

    assignment: dict[str, str]
    probability: float


def query(
    net: BayesNet,
    variables: str | Sequence[str],
    evidence: Evidence | None = None,
    *,
    elimination: str | Sequence[str] = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> Factor:
    """The posterior :math:`P(\\mathbf{Q} \\mid \\mathbf{e})` as a normalized :class:`Factor`.

    Args:
        net: a network with every CPT set.
        variables: one query variable or a sequence (the factor's axis order).
        evidence: ``{node: state}`` or a list of ``(node, state)`` pairs, states as names or
            integer indices.
        elimination: a heuristic of :data:`nnblocks.bayes.elimination.HEURISTICS` (default
            ``"auto"``) or an explicit order of the hidden variables that remain after pruning
            (see :func:`elimination_plan`).
        max_factor_size: refuse (before computing) if a table the elimination builds would
            have more entries than this.

    Raises:
        UnknownNodeError / UnknownStateError: naming the node or state.
        FactorTooLargeError: the elimination would build a table above ``max_factor_size``.
        ZeroProbabilityEvidenceError: :math:`P(\\mathbf{e}) = 0` exactly.
    """
    return posterior_and_plan(net, variables, evidence, elimination, max_factor_size)[0]


def posterior_and_plan(
    net: BayesNet,
    variables: str | Sequence[str],
    evidence: Evidence | None,
    elimination: str | Sequence[str] = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> tuple[Factor, EliminationPlan]:
    """:func:`query` and the (id-based) plan it ran, for callers that budget by planned work."""
    cn, targets, observed, tables = _prepare(net, variables, evidence, "query")
    plan = _plan(cn, tables, [_hidden(tables, targets)], elimination, targets, max_factor_size,
                 "query")  # fmt: skip
    try:
        rest, _ = eliminate(tables, plan.order, cn.cards)
        values, _ = contract(rest, targets, cn.cards)
    except ZeroProductError:
        raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
    names = [cn.nodes[v] for v in targets]
    return Factor(names, values / values.sum(), {v: net.states(v) for v in names}), plan


def log_evidence_probability(
    net: BayesNet,
    evidence: Evidence,
    *,
    elimination: str | Sequence[str] = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> float:
    r""":math:`\log P(\mathbf{e})` by variable elimination, exact even far below 1e-308.

    Returns ``-inf`` when the evidence is impossible.
    """
    cn = compile_net(net)
    observed = _observed(net, cn, evidence, "evidence_probability")
    try:
        tables, log_p = reduced_tables(cn, ancestral_set(cn, list(observed)), observed)
        hidden = _hidden(tables, [])
        plan = _plan(cn, tables, [hidden], elimination, [], max_factor_size,
                     "evidence_probability")  # fmt: skip
        rest, log_scale = eliminate(tables, plan.order, cn.cards)
        if rest:
            values, log_rest = contract(rest, (), cn.cards)
            log_scale += log_rest + math.log(float(values))
    except ZeroProductError:
        return -math.inf
    return log_p + log_scale


def evidence_probability(
    net: BayesNet,
    evidence: Evidence,
    *,
    elimination: str | Sequence[str] = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> float:
    r"""Probability of the evidence by variable elimination (0.0 below float64's range; see
    :func:`log_evidence_probability`).

    .. math:: P(\mathbf{e}) = \sum_{\mathbf{h}} P(\mathbf{h}, \mathbf{e})
    """
    log_p = log_evidence_probability(
        net, evidence, elimination=elimination, max_factor_size=max_factor_size
    )
    return math.exp(log_p)


def map_query(
    net: BayesNet,
    variables: Sequence[str] | None = None,
    evidence: Evidence | None = None,
    *,
    elimination: str | Sequence[str] = "auto",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> MAPResult:
    """Most probable assignment of ``variables`` given ``evidence`` (MPE when ``None``).

    Ties are broken towards the lower state index. ``probability`` is the posterior
    :math:`P(\\mathbf{m}^* \\mid \\mathbf{e})` of the returned assignment.
    """
    if variables is None:
        given = evidence_dict(evidence, "map_query")
        variables = [n for n in net.nodes if n not in given]
        if not variables:
            return MAPResult({}, 1.0)
    cn, targets, observed, tables = _prepare(net, variables, evidence, "map_query")
    hidden = _hidden(tables, targets)
    plan = _plan(cn, tables, [hidden, targets], elimination, [], max_factor_size, "map_query",
                 stored=targets)  # fmt: skip
    norm_plan = _plan(cn, tables, [hidden + targets], "auto", [], max_factor_size, "map_query")
    traceback: list = []
    try:
        rest, log_best = eliminate(tables, plan.order, cn.cards, frozenset(targets), traceback)
        log_best += _log_total(rest, cn)
        rest, log_norm = eliminate(tables, norm_plan.order, cn.cards)
        log_norm += _log_total(rest, cn)
    except ZeroProductError:
        raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
    chosen: dict[int, int] = {}
    for var, scope, product in reversed(traceback):
        # every other variable of the product was maximised later, so is already chosen
        row = product[(slice(None), *(chosen[v] for v in scope))]
        chosen[var] = int(np.argmax(row))
    assignment = {cn.nodes[v]: net.states(cn.nodes[v])[chosen.get(v, 0)] for v in targets}
    return MAPResult(assignment, math.exp(log_best - log_norm))


def elimination_plan(
    net: BayesNet,
    variables: str | Sequence[str],
    evidence: Evidence | None = None,
    heuristic: str | Sequence[str] = "auto",
) -> EliminationPlan:
    """The order :func:`query` would use and its largest built table, by name (nothing computed)."""
    cn, targets, _, tables = _prepare(net, variables, evidence, "elimination_plan")
    plan = _plan(cn, tables, [_hidden(tables, targets)], heuristic, targets, None, "plan")
    return EliminationPlan(
        tuple(cn.nodes[v] for v in plan.order),
        plan.largest_size,
        tuple(cn.nodes[v] for v in plan.largest_scope),
        plan.total_work,
    )


def evidence_dict(evidence: Evidence | None, where: str) -> dict:
    """Evidence as a dict: accepts ``{node: state}``, a list of ``(node, state)`` pairs or None."""
    if evidence is None:
        return {}
    if isinstance(evidence, Mapping):
        return dict(evidence)
    if isinstance(evidence, (str, bytes)) or not isinstance(evidence, Sequence):
        raise TypeError(
            f"{where}: evidence must be a dict {{node: state}} or a list of (node, state) "
            f"pairs, got {type(evidence).__name__}"
        )
    out: dict = {}
    for item in evidence:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise TypeError(
                f"{where}: evidence as a list must hold (node, state) pairs, got {item!r}"
            )
        node, state = item
        if node in out and out[node] != state:
            raise BayesNetError(
                f"{where}: evidence gives '{node}' two states, {out[node]!r} and {state!r}"
            )
        out[node] = state
    return out


def zero_evidence_message(evidence: Evidence | None, shown: int = 3) -> str:
    """Short message for impossible evidence: the first entries, then how many more."""
    items = list(evidence_dict(evidence, "evidence").items())
    text = ", ".join(f"{node}={state!r}" for node, state in items[:shown])
    if len(items) > shown:
        text += f", ... and {len(items) - shown} more"
    return f"the evidence ({text}) has probability zero under the model; no posterior exists"


# ------------------------------------------------------------------------------------ helpers
def _prepare(
    net: BayesNet, variables: str | Sequence[str], evidence: Evidence | None, where: str
) -> tuple[CompiledNet, list[int], dict[int, int], list[Table]]:
    """Compiled network, target and evidence ids, and the pruned, evidence-sliced tables."""
    names = net.check_nodes(variables, f"{where} variable")
    if not names:
        raise BayesNetError(f"{where} needs at least one variable")
    if len(set(names)) != len(names):
        raise BayesNetError(f"{where} variables must be distinct, got {names}")
    cn = compile_net(net)
    observed = _observed(net, cn, evidence, where)
    targets = [cn.index[v] for v in names]
    overlap = [v for v in names if cn.index[v] in observed]
    if overlap:
        raise BayesNetError(f"{where} variables {overlap} are also given as evidence")
    try:
        tables, _ = reduced_tables(cn, ancestral_set(cn, targets + list(observed)), observed)
    except ZeroProductError:
        raise ZeroProbabilityEvidenceError(zero_evidence_message(evidence)) from None
    return cn, targets, observed, connected_to(tables, targets)


def _observed(net: BayesNet, cn: CompiledNet, evidence: Evidence | None, where: str):
    given = evidence_dict(evidence, where)
    nodes = net.check_nodes(list(given), "evidence")
    return {cn.index[n]: net.state_index(n, given[n]) for n in nodes}


def _hidden(tables: list[Table], targets: list[int]) -> list[int]:
    skip = set(targets)
    seen: dict[int, None] = {}
    for scope, _ in tables:
        for v in scope:
            if v not in skip:
                seen[v] = None
    return list(seen)


def _log_total(tables: list[Table], cn: CompiledNet) -> float:
    if not tables:
        return 0.0
    values, log_scale = contract(tables, (), cn.cards)
    return log_scale + math.log(float(values))


def _plan(
    cn: CompiledNet,
    tables: list[Table],
    phases: list[list[int]],
    elimination: str | Sequence[str],
    keep: list[int],
    max_factor_size: int | None,
    where: str,
    stored: Sequence[int] = (),
) -> EliminationPlan:
    scopes = [scope for scope, _ in tables]
    if isinstance(elimination, str):
        plan = plan_elimination(scopes, cn.cards, phases, elimination, keep, stored)
    else:  # an explicit order of names: check it by name, run it by id
        named = plan_elimination(
            [[cn.nodes[v] for v in s] for s in scopes],
            dict(zip(cn.nodes, cn.cards, strict=True)),
            [[cn.nodes[v] for v in phase] for phase in phases],
            list(elimination),
            [cn.nodes[v] for v in keep],
            [cn.nodes[v] for v in stored],
        )
        plan = EliminationPlan(
            tuple(cn.index[v] for v in named.order),
            named.largest_size,
            tuple(cn.index[v] for v in named.largest_scope),
            named.total_work,
        )
    if max_factor_size is not None and plan.largest_size > max_factor_size:
        label = elimination if isinstance(elimination, str) else "the given"
        scope = [cn.nodes[v] for v in plan.largest_scope]
        shown = scope if len(scope) <= 8 else [*scope[:8], f"... {len(scope) - 8} more"]
        raise FactorTooLargeError(
            f"{where}: variable elimination ({label} order) would build a table over "
            f"{len(scope)} variables {shown} with {plan.largest_size:,} entries, above "
            f"max_factor_size={max_factor_size:,}. Raise max_factor_size, add evidence, query "
            f"fewer variables, or use sampling (likelihood_weighting, gibbs_sample)."
        )
    return plan
