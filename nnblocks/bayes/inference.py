r"""Exact inference by variable elimination: posteriors, probability of evidence, MAP / MPE.

Posterior query. With query variables :math:`\mathbf{Q}`, evidence :math:`\mathbf{E}=\mathbf{e}`
and hidden variables :math:`\mathbf{H}`,

.. math::
    P(\mathbf{q} \mid \mathbf{e}) = \frac{1}{P(\mathbf{e})}
        \sum_{\mathbf{h}} \prod_i P(x_i \mid \mathrm{pa}(x_i)) \Big|_{\mathbf{E}=\mathbf{e}},

computed by pushing each sum inside the product: eliminating :math:`H` replaces the factors
:math:`\phi_1..\phi_m` that mention it by :math:`\psi = \sum_h \prod_j \phi_j` (one
:func:`numpy.einsum` call). Evidence is applied first by slicing every CPT
(:meth:`Factor.reduce`), and nodes that are neither query, evidence, nor their ancestors are
pruned (barren nodes sum to one). The order comes from min-fill or min-degree
(:mod:`nnblocks.bayes.elimination`), planned on scopes before any table is built, so a query
whose largest intermediate factor exceeds ``max_factor_size`` entries is refused up front with
:class:`FactorTooLargeError`.

MAP. The most probable explanation (MPE) of all non-evidence variables,
:math:`\arg\max_{\mathbf{x}} P(\mathbf{x}, \mathbf{e})`, replaces sums by maxima (max-product)
and records the arg-max of each eliminated variable as a table over the remaining scope; a
backward pass reads off the maximiser. For MAP over a subset :math:`\mathbf{M}`, the other
hidden variables are summed out first, then :math:`\mathbf{M}` is maximised:
:math:`\arg\max_{\mathbf{m}} \sum_{\mathbf{h}} P(\mathbf{m}, \mathbf{h}, \mathbf{e})`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nnblocks.bayes.elimination import EliminationPlan, plan_elimination
from nnblocks.bayes.errors import BayesNetError, FactorTooLargeError, ZeroProbabilityEvidenceError
from nnblocks.bayes.factor import Factor, multiply

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet, State

DEFAULT_MAX_FACTOR_SIZE = 10_000_000  # entries, i.e. 80 MB of float64 per intermediate factor


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
    evidence: Mapping[str, State] | None = None,
    *,
    elimination: str | Sequence[str] = "min_fill",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> Factor:
    """The posterior :math:`P(\\mathbf{Q} \\mid \\mathbf{e})` as a normalized :class:`Factor`.

    Args:
        net: a network with every CPT set.
        variables: one query variable or a sequence (the factor's axis order).
        evidence: ``{node: state}``, states as names or integer indices.
        elimination: ``"min_fill"``, ``"min_degree"`` or an explicit order of the hidden
            variables that remain after pruning.
        max_factor_size: refuse (before computing) if any intermediate factor would have more
            entries than this.

    Raises:
        UnknownNodeError / UnknownStateError: naming the node or state.
        FactorTooLargeError: the elimination would build a factor above ``max_factor_size``.
        ZeroProbabilityEvidenceError: :math:`P(\\mathbf{e}) = 0`.
    """
    targets = _query_variables(net, variables)
    factors, observed = _reduced_factors(net, targets, evidence)
    overlap = [v for v in targets if v in observed]
    if overlap:
        raise BayesNetError(f"query variables {overlap} are also given as evidence")
    hidden = _hidden(factors, set(targets))
    plan = _plan(net, factors, [hidden], elimination, targets, max_factor_size, "query")
    for var in plan.order:
        factors = _sum_out(factors, var)
    joint = multiply(factors, keep=targets)
    total = float(joint.values.sum())
    if not total > 0.0:
        raise ZeroProbabilityEvidenceError(_zero_evidence_message(evidence))
    return Factor(joint.variables, joint.values / total, joint.states)


def evidence_probability(
    net: BayesNet,
    evidence: Mapping[str, State],
    *,
    elimination: str | Sequence[str] = "min_fill",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> float:
    r"""Probability of the evidence by variable elimination.

    .. math:: P(\mathbf{e}) = \sum_{\mathbf{h}} P(\mathbf{h}, \mathbf{e})
    """
    factors, _ = _reduced_factors(net, [], evidence)
    hidden = _hidden(factors, set())
    plan = _plan(net, factors, [hidden], elimination, [], max_factor_size, "evidence_probability")
    for var in plan.order:
        factors = _sum_out(factors, var)
    if not factors:
        return 1.0
    return float(multiply(factors, keep=()).values)


def map_query(
    net: BayesNet,
    variables: Sequence[str] | None = None,
    evidence: Mapping[str, State] | None = None,
    *,
    elimination: str | Sequence[str] = "min_fill",
    max_factor_size: int = DEFAULT_MAX_FACTOR_SIZE,
) -> MAPResult:
    """Most probable assignment of ``variables`` given ``evidence`` (MPE when ``None``).

    Ties are broken towards the lower state index. ``probability`` is the posterior
    :math:`P(\\mathbf{m}^* \\mid \\mathbf{e})` of the returned assignment.
    """
    observed_names = set(evidence or {})
    if variables is None:
        targets = [n for n in net.nodes if n not in observed_names]
    else:
        targets = _query_variables(net, variables)
    factors, observed = _reduced_factors(net, targets, evidence)
    overlap = [v for v in targets if v in observed]
    if overlap:
        raise BayesNetError(f"MAP variables {overlap} are also given as evidence")
    hidden = _hidden(factors, set(targets))
    plan = _plan(net, factors, [hidden, targets], elimination, [], max_factor_size, "map_query")
    summed = set(hidden)
    traceback: list[tuple[str, Factor]] = []
    for var in plan.order:
        if var in summed:
            factors = _sum_out(factors, var)
            continue
        involved = [f for f in factors if var in f.variables]
        product = multiply(involved)
        traceback.append((var, product))
        factors = [f for f in factors if var not in f.variables] + [product.maximize([var])]
    best = float(multiply(factors, keep=()).values) if factors else 1.0
    if not best > 0.0:
        raise ZeroProbabilityEvidenceError(_zero_evidence_message(evidence))
    chosen: dict[str, int] = {}
    for var, product in reversed(traceback):
        index = tuple(
            chosen[v] if v != var else slice(None) for v in product.variables
        )  # every other variable of the product was eliminated later, so is already chosen
        chosen[var] = int(np.argmax(product.values[index]))
    norm = evidence_probability(
        net, evidence or {}, elimination="min_fill", max_factor_size=max_factor_size
    )
    assignment = {v: net.states(v)[chosen[v]] for v in targets}
    return MAPResult(assignment, best / norm)


def elimination_plan(
    net: BayesNet,
    variables: str | Sequence[str],
    evidence: Mapping[str, State] | None = None,
    heuristic: str | Sequence[str] = "min_fill",
) -> EliminationPlan:
    """The order :func:`query` would use and the size of its largest factor (nothing computed)."""
    targets = _query_variables(net, variables)
    factors, _ = _reduced_factors(net, targets, evidence)
    hidden = _hidden(factors, set(targets))
    return plan_elimination(
        [f.variables for f in factors], _cards(net), [hidden], heuristic, keep=targets
    )


# ------------------------------------------------------------------------------------ helpers
def _query_variables(net: BayesNet, variables: str | Sequence[str]) -> list[str]:
    targets = net.check_nodes(variables, "query variable")
    if not targets:
        raise BayesNetError("query needs at least one variable")
    if len(set(targets)) != len(targets):
        raise BayesNetError(f"query variables must be distinct, got {targets}")
    return targets


def _reduced_factors(
    net: BayesNet, targets: list[str], evidence: Mapping[str, State] | None
) -> tuple[list[Factor], dict[str, int]]:
    """CPT factors of the relevant nodes (targets, evidence, ancestors), sliced by evidence."""
    net.check_model()
    evidence = dict(evidence or {})
    observed = {}
    for node in net.check_nodes(list(evidence), "evidence"):
        observed[node] = net.state_index(node, evidence[node])
    relevant = set(targets) | set(observed)
    relevant |= net.ancestors(relevant)
    factors = []
    for node in net.nodes:
        if node in relevant:
            factors.append(net.cpt(node).to_factor().reduce(observed))
    return factors, observed


def _hidden(factors: list[Factor], targets: set[str]) -> list[str]:
    seen: dict[str, None] = {}
    for f in factors:
        for v in f.variables:
            if v not in targets:
                seen[v] = None
    return list(seen)


def _cards(net: BayesNet) -> dict[str, int]:
    return {n: net.cardinality(n) for n in net.nodes}


def _plan(
    net: BayesNet,
    factors: list[Factor],
    phases: list[list[str]],
    elimination: str | Sequence[str],
    keep: list[str],
    max_factor_size: int,
    where: str,
) -> EliminationPlan:
    plan = plan_elimination([f.variables for f in factors], _cards(net), phases, elimination, keep)
    if plan.largest_size > max_factor_size:
        label = elimination if isinstance(elimination, str) else "the given"
        raise FactorTooLargeError(
            f"{where}: variable elimination ({label} order) would build a factor over "
            f"{len(plan.largest_scope)} variables {list(plan.largest_scope)} with "
            f"{plan.largest_size:,} entries, above max_factor_size={max_factor_size:,}. "
            f"Raise max_factor_size, add evidence, query fewer variables, or use sampling "
            f"(likelihood_weighting)."
        )
    return plan


def _sum_out(factors: list[Factor], var: str) -> list[Factor]:
    involved = [f for f in factors if var in f.variables]
    if not involved:
        return factors
    rest = [f for f in factors if var not in f.variables]
    scope: dict[str, None] = {}
    for f in involved:
        scope.update((v, None) for v in f.variables if v != var)
    return [*rest, multiply(involved, keep=tuple(scope))]


def _zero_evidence_message(evidence: Mapping[str, State] | None) -> str:
    return (
        f"the evidence {dict(evidence or {})} has probability zero under the model, so the "
        f"posterior is undefined"
    )
