r"""Elimination orders for variable elimination, planned symbolically with a priority queue.

Variable elimination removes hidden variables one at a time. Eliminating :math:`Y` multiplies
every factor that mentions :math:`Y` and sums (or maxes) :math:`Y` out, so the step loops over
:math:`\{Y\} \cup N(Y)` and *builds* a table over :math:`N(Y)`, where :math:`N(Y)` are the
neighbours of :math:`Y` in the *interaction graph* (an edge between any two variables sharing a
factor). Afterwards :math:`N(Y)` is a clique (the new factor mentions all of it).

Greedy orders choose, at each step, the variable minimising

* **min-fill**: the number of *fill-in* edges, pairs of :math:`N(Y)` not yet adjacent, that
  eliminating :math:`Y` would add;
* **weighted-min-fill**: the sum over fill-in edges :math:`(a, b)` of :math:`|a|\,|b|`
  (cardinalities), so an edge between two large variables costs more;
* **min-weight**: :math:`\prod_{V \in \{Y\} \cup N(Y)} |V|`, the work of the step;
* **min-degree**: :math:`|N(Y)|`;

ties broken by the step's weight :math:`\prod_{V \in \{Y\} \cup N(Y)} |V|`, then by the order the
variables were given (so plans are deterministic). ``"auto"`` (the default of the inference
functions) plans with min-weight and, unless that plan's total work
:math:`\sum_Y \prod_{V \in \{Y\} \cup N(Y)} |V|` is already small (at most 20,000
multiply-adds per eliminated variable, less than a second plan would cost), also with
weighted-min-fill, and keeps the plan of smaller total work.

Complexity: the scores live in a binary heap with lazy deletion (a popped entry whose score is
stale is skipped). Eliminating :math:`Y` changes the score of its neighbours and, for the fill
heuristics, of the neighbours of neighbours that received a fill-in edge; only those are
rescored and pushed again. With bounded degree :math:`d` this is :math:`O(n d^3 \log n)` instead
of the :math:`O(n^2 d^2)` of rescoring every variable at every step.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from nnblocks.bayes.errors import BayesNetError

HEURISTICS = ("auto", "min_fill", "weighted_min_fill", "min_weight", "min_degree")
# "auto" plans with min-weight first and also tries weighted-min-fill only when that plan costs
# more than this many multiply-adds per eliminated variable: planning once more costs about
# 50-100 us per variable in Python, the time NumPy needs for some 10^4-10^5 multiply-adds.
_AUTO_WORK_PER_VARIABLE = 20_000


@dataclass(frozen=True)
class EliminationPlan:
    """An elimination order and the largest table it builds.

    Attributes:
        order: variables in the order they are eliminated.
        largest_size: entries of the largest table the elimination builds (the factor left
            after summing a variable out, or the final joint of the kept variables); the
            variable being summed out is looped over but never stored.
        largest_scope: the variables of that table.
        total_work: :math:`\\sum_Y \\prod_{V \\in \\{Y\\} \\cup N(Y)} |V|`, the multiply-adds of
            the whole elimination (what ``"auto"`` minimises).
    """

    order: tuple[Hashable, ...]
    largest_size: int
    largest_scope: tuple[Hashable, ...]
    total_work: int = 0


def plan_elimination(
    scopes: Iterable[Iterable[Hashable]],
    cardinality: Mapping[Hashable, int],
    phases: Sequence[Sequence[Hashable]],
    heuristic: str | Sequence[Hashable] = "auto",
    keep: Sequence[Hashable] = (),
    stored: Sequence[Hashable] = (),
) -> EliminationPlan:
    """Choose an order eliminating every variable of ``phases[0]``, then of ``phases[1]``, ...

    Args:
        scopes: variable sets of the factors (after evidence has been removed).
        cardinality: number of states of every variable appearing in ``scopes``.
        phases: disjoint groups eliminated one group after another (MAP sums out its hidden
            variables before maximising, because sum and max do not commute).
        heuristic: one of :data:`HEURISTICS`, or an explicit order (all eliminated variables,
            each phase's variables before the next phase's).
        keep: variables left at the end; their joint table also counts towards the size.
        stored: eliminated variables whose step stores the full table including the variable
            itself (MAP keeps it for the arg-max traceback), so it counts towards the size.
    """
    scopes = [tuple(s) for s in scopes]
    rank = {v: i for i, v in enumerate(v for phase in phases for v in phase)}
    if isinstance(heuristic, str):
        if heuristic not in HEURISTICS:
            raise BayesNetError(
                f"elimination heuristic must be one of {HEURISTICS} or an explicit order, "
                f"got {heuristic!r}"
            )
        first = "min_weight" if heuristic == "auto" else heuristic
        plan = _greedy(scopes, cardinality, phases, first, rank, keep, stored)
        if heuristic == "auto" and plan.total_work > _AUTO_WORK_PER_VARIABLE * len(plan.order):
            other = _greedy(scopes, cardinality, phases, "weighted_min_fill", rank, keep, stored)
            plan = min((other, plan), key=lambda p: (p.total_work, p.largest_size))
        return plan
    order = _check_explicit(list(heuristic), phases)
    return _measure(scopes, cardinality, order, keep, stored)


def _greedy(
    scopes: list[tuple[Hashable, ...]],
    cardinality: Mapping[Hashable, int],
    phases: Sequence[Sequence[Hashable]],
    heuristic: str,
    rank: Mapping[Hashable, int],
    keep: Sequence[Hashable],
    stored: Sequence[Hashable],
) -> EliminationPlan:
    """Greedy order with a lazy-deletion heap; only rescored variables are pushed again. The
    sizes are measured on the way (the neighbours at elimination are the built table)."""
    graph = _interaction_graph(scopes)
    meter = _Meter(cardinality, stored)
    order: list[Hashable] = []
    fill = heuristic in ("min_fill", "weighted_min_fill")
    for phase in phases:
        active = {v for v in phase if v in graph}
        order += [v for v in phase if v not in graph]  # in no factor: costs nothing
        score = {v: _score(graph, v, cardinality, heuristic, rank) for v in active}
        heap = [(s, v) for v, s in score.items()]
        heapq.heapify(heap)
        while heap:
            s, var = heapq.heappop(heap)
            if var not in active or score[var] != s:
                continue  # eliminated already, or a stale score
            active.discard(var)
            order.append(var)
            neighbours = graph.pop(var)
            meter.step(var, neighbours)
            touched = set(neighbours)
            for v in neighbours:
                adjacent = graph[v]
                adjacent.discard(var)
                before = len(adjacent)
                adjacent.update(u for u in neighbours if u != v)
                if fill and len(adjacent) != before:
                    touched.update(adjacent)  # their fill counts may have dropped
            for v in touched & active:
                new = _score(graph, v, cardinality, heuristic, rank)
                if new != score[v]:
                    score[v] = new
                    heapq.heappush(heap, (new, v))
    return meter.plan(order, keep)


class _Meter:
    """Largest built table and total work of an elimination, fed one step at a time."""

    def __init__(self, cardinality: Mapping[Hashable, int], stored: Sequence[Hashable]) -> None:
        self.cardinality = cardinality
        self.stored = set(stored)
        self.largest_size, self.largest_scope, self.work = 1, (), 0

    def step(self, var: Hashable, neighbours: Iterable[Hashable]) -> None:
        scope = tuple(neighbours)
        size = math.prod(self.cardinality[v] for v in scope)
        full = size * self.cardinality[var]
        self.work += full
        built, built_size = ((var, *scope), full) if var in self.stored else (scope, size)
        if built_size > self.largest_size:
            self.largest_size, self.largest_scope = built_size, built

    def plan(self, order: Sequence[Hashable], keep: Sequence[Hashable]) -> EliminationPlan:
        final = math.prod(self.cardinality[v] for v in keep)
        if final > self.largest_size:
            self.largest_size, self.largest_scope = final, tuple(keep)
        return EliminationPlan(tuple(order), self.largest_size, self.largest_scope, self.work)


def _score(
    graph: dict[Hashable, set[Hashable]],
    var: Hashable,
    cardinality: Mapping[Hashable, int],
    heuristic: str,
    rank: Mapping[Hashable, int],
) -> tuple[int, int, int]:
    neighbours = graph[var]
    weight = cardinality[var] * math.prod(cardinality[v] for v in neighbours)
    if heuristic == "min_degree":
        primary = len(neighbours)
    elif heuristic == "min_weight":
        primary = weight
    else:
        primary = 0
        listed = list(neighbours)
        weighted = heuristic == "weighted_min_fill"
        for i, a in enumerate(listed):
            near = graph[a]
            for b in listed[i + 1 :]:
                if b not in near:
                    primary += cardinality[a] * cardinality[b] if weighted else 1
    return primary, weight, rank[var]


def _measure(
    scopes: list[tuple[Hashable, ...]],
    cardinality: Mapping[Hashable, int],
    order: Sequence[Hashable],
    keep: Sequence[Hashable],
    stored: Sequence[Hashable],
) -> EliminationPlan:
    """Replay an explicit ``order`` on the graph: the largest table built and the total work."""
    graph = _interaction_graph(scopes)
    meter = _Meter(cardinality, stored)
    for var in order:
        if var not in graph:  # a variable in no factor (fully removed by evidence) costs nothing
            continue
        scope = graph.pop(var)
        meter.step(var, scope)
        for v in scope:
            graph[v].discard(var)
            graph[v].update(u for u in scope if u != v)
    return meter.plan(order, keep)


def _interaction_graph(scopes: Iterable[Iterable[Hashable]]) -> dict[Hashable, set[Hashable]]:
    graph: dict[Hashable, set[Hashable]] = {}
    for scope in scopes:
        members = list(scope)
        for v in members:
            graph.setdefault(v, set()).update(u for u in members if u != v)
    return graph


def _check_explicit(order: list[Hashable], phases: Sequence[Sequence[Hashable]]) -> list:
    wanted = [v for phase in phases for v in phase]
    if len(order) != len(wanted) or set(order) != set(wanted):
        extra = sorted(map(str, set(order) - set(wanted)))
        missing = sorted(map(str, set(wanted) - set(order)))
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
                f"{sorted(map(str, earlier))} before the maximised ones {sorted(map(str, later))}"
            )
    return order
