r"""Elimination orders for variable elimination: min-fill and min-degree, planned symbolically.

Variable elimination removes hidden variables one at a time. Eliminating :math:`Y` multiplies
every factor that mentions :math:`Y` and sums (or maxes) :math:`Y` out, so the intermediate
factor's scope is :math:`\{Y\} \cup N(Y)`, where :math:`N(Y)` are the neighbours of :math:`Y` in
the *interaction graph* (an edge between any two variables sharing a factor). Afterwards
:math:`N(Y)` is a clique (the new factor mentions all of it).

Greedy orders choose, at each step, the variable minimising

* **min-degree**: :math:`|N(Y)|`, the number of neighbours;
* **min-fill**: the number of *fill-in* edges, pairs of :math:`N(Y)` not yet adjacent, that
  eliminating :math:`Y` would add;

ties broken by the smaller intermediate size :math:`\prod_{V \in \{Y\} \cup N(Y)} |V|`, then by
the order the variables were given (so plans are deterministic). Planning runs on scopes only,
so the largest intermediate factor is known before any table is built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from nnblocks.bayes.errors import BayesNetError

HEURISTICS = ("min_fill", "min_degree")


@dataclass(frozen=True)
class EliminationPlan:
    """An elimination order and the largest factor it builds.

    Attributes:
        order: variables in the order they are eliminated.
        largest_size: entries of the largest intermediate (or final) factor.
        largest_scope: the variables of that factor.
    """

    order: tuple[str, ...]
    largest_size: int
    largest_scope: tuple[str, ...]


def plan_elimination(
    scopes: Iterable[Iterable[str]],
    cardinality: Mapping[str, int],
    phases: Sequence[Sequence[str]],
    heuristic: str | Sequence[str] = "min_fill",
    keep: Sequence[str] = (),
) -> EliminationPlan:
    """Choose an order eliminating every variable of ``phases[0]``, then of ``phases[1]``, ...

    Args:
        scopes: variable sets of the factors (after evidence has been removed).
        cardinality: number of states of every variable appearing in ``scopes``.
        phases: disjoint groups eliminated one group after another (MAP sums out its hidden
            variables before maximising, because sum and max do not commute).
        heuristic: ``"min_fill"``, ``"min_degree"``, or an explicit order (all eliminated
            variables, each phase's variables before the next phase's).
        keep: variables left at the end; their joint factor also counts towards the size.
    """
    graph = _interaction_graph(scopes)
    rank = {v: i for i, v in enumerate(v for phase in phases for v in phase)}
    if isinstance(heuristic, str):
        if heuristic not in HEURISTICS:
            raise BayesNetError(
                f"elimination heuristic must be one of {HEURISTICS} or an explicit order, "
                f"got {heuristic!r}"
            )
        order = []
        for phase in phases:
            remaining = [v for v in phase if v in graph]
            while remaining:
                best = min(remaining, key=lambda v: _cost(graph, v, cardinality, heuristic, rank))
                remaining.remove(best)
                order.append(best)
                _eliminate(graph, best)
        graph = _interaction_graph(scopes)  # replay below to measure sizes
    else:
        order = _check_explicit(list(heuristic), phases)
    largest_size, largest_scope = 1, ()
    for var in order:
        if var not in graph:  # a variable in no factor (fully removed by evidence) costs nothing
            continue
        scope = (var, *sorted(graph[var], key=lambda v: rank.get(v, -1)))
        size = math.prod(cardinality[v] for v in scope)
        if size > largest_size:
            largest_size, largest_scope = size, scope
        _eliminate(graph, var)
    final = math.prod(cardinality[v] for v in keep)
    if final > largest_size:
        largest_size, largest_scope = final, tuple(keep)
    return EliminationPlan(tuple(order), largest_size, largest_scope)


def _interaction_graph(scopes: Iterable[Iterable[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for scope in scopes:
        members = list(scope)
        for v in members:
            graph.setdefault(v, set()).update(u for u in members if u != v)
    return graph


def _cost(
    graph: dict[str, set[str]],
    var: str,
    cardinality: Mapping[str, int],
    heuristic: str,
    rank: Mapping[str, int],
) -> tuple[int, int, int]:
    neighbours = graph[var]
    if heuristic == "min_degree":
        primary = len(neighbours)
    else:
        listed = list(neighbours)
        primary = sum(1 for i, a in enumerate(listed) for b in listed[i + 1 :] if b not in graph[a])
    weight = cardinality[var] * math.prod(cardinality[v] for v in neighbours)
    return primary, weight, rank[var]


def _eliminate(graph: dict[str, set[str]], var: str) -> None:
    """Connect the neighbours of ``var`` into a clique and remove ``var``."""
    neighbours = graph.pop(var)
    for v in neighbours:
        graph[v].discard(var)
        graph[v].update(u for u in neighbours if u != v)


def _check_explicit(order: list[str], phases: Sequence[Sequence[str]]) -> list[str]:
    wanted = [v for phase in phases for v in phase]
    if sorted(order) != sorted(wanted):
        extra = sorted(set(order) - set(wanted))
        missing = sorted(set(wanted) - set(order))
        raise BayesNetError(
            f"explicit elimination order must list each eliminated variable once; "
            f"missing {missing}, unexpected {extra}"
            + (" (or repeated entries)" if not (extra or missing) else "")
        )
    position = {v: i for i, v in enumerate(order)}
    for earlier, later in itertools.pairwise(phases):
        if (
            earlier
            and later
            and max(position[v] for v in earlier) > min(position[v] for v in later)
        ):
            raise BayesNetError(
                f"explicit elimination order must eliminate the summed-out variables "
                f"{sorted(earlier)} before the maximised ones {sorted(later)}"
            )
    return order
