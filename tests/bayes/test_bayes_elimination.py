"""The heap-based greedy planner: same orders as naive greedy, near-linear work, sizes counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnblocks.bayes.elimination as elimination
from nnblocks.bayes import random_network
from nnblocks.bayes.elimination import HEURISTICS, plan_elimination


def naive_greedy(scopes, cards, hidden, heuristic):
    """Rescore every remaining variable at every step (quadratic, obviously right)."""
    graph = {}
    for scope in scopes:
        for v in scope:
            graph.setdefault(v, set()).update(u for u in scope if u != v)
    rank = {v: i for i, v in enumerate(hidden)}
    remaining = [v for v in hidden if v in graph]
    order = [v for v in hidden if v not in graph]
    while remaining:
        best = min(remaining, key=lambda v: score(graph, v, cards, heuristic, rank))
        remaining.remove(best)
        order.append(best)
        neighbours = graph.pop(best)
        for v in neighbours:
            graph[v].discard(best)
            graph[v].update(u for u in neighbours if u != v)
    return order


def score(graph, var, cards, heuristic, rank):
    near = sorted(graph[var])
    weight = cards[var] * math.prod(cards[v] for v in near)
    pairs = [(a, b) for i, a in enumerate(near) for b in near[i + 1 :] if b not in graph[a]]
    primary = {
        "min_degree": len(near),
        "min_weight": weight,
        "min_fill": len(pairs),
        "weighted_min_fill": sum(cards[a] * cards[b] for a, b in pairs),
    }[heuristic]
    return primary, weight, rank[var]


def random_scopes(seed: int, n: int):
    rng = np.random.default_rng(seed)
    cards = {v: int(rng.integers(2, 6)) for v in range(n)}
    scopes = [
        tuple(rng.choice(n, size=int(rng.integers(1, 4)), replace=False).tolist()) for _ in range(n)
    ]
    return scopes, cards


@pytest.mark.parametrize("heuristic", ["min_fill", "weighted_min_fill", "min_weight", "min_degree"])
@pytest.mark.parametrize("seed", range(6))
def test_heap_planner_chooses_as_naive_greedy(heuristic, seed):
    scopes, cards = random_scopes(seed, 25)
    hidden = list(range(1, 25))
    plan = plan_elimination(scopes, cards, [hidden], heuristic, keep=[0])
    assert list(plan.order) == naive_greedy(scopes, cards, hidden, heuristic)


def test_auto_keeps_the_cheaper_plan():
    for n, expect_both in ((40, False), (400, True)):
        scopes, cards = random_scopes(3, n)
        hidden = list(range(1, n))
        plans = {h: plan_elimination(scopes, cards, [hidden], h, keep=[0]) for h in HEURISTICS}
        limit = elimination._AUTO_WORK_PER_VARIABLE * len(hidden)
        small = plans["min_weight"].total_work <= limit
        assert small != expect_both  # one case on each side of the threshold
        tried = ("weighted_min_fill", "min_weight") if expect_both else ("min_weight",)
        assert plans["auto"].total_work == min(plans[h].total_work for h in tried)


def test_planning_work_grows_near_linearly(monkeypatch):
    """Scores computed per eliminated variable stay bounded as the network grows 4x."""
    calls = {"n": 0}
    original = elimination._score

    def counting(*args):
        calls["n"] += 1
        return original(*args)

    monkeypatch.setattr(elimination, "_score", counting)
    per_variable = []
    for n in (1000, 4000):
        net = random_network(n, window=6, max_parents=3, rng=np.random.default_rng(n))
        scopes = [(*net.parents(v), v) for v in net.nodes]
        cards = {v: net.cardinality(v) for v in net.nodes}
        calls["n"] = 0
        plan_elimination(scopes, cards, [net.nodes[1:]], "min_fill", keep=net.nodes[:1])
        per_variable.append(calls["n"] / n)
    assert per_variable[1] < 1.5 * per_variable[0] + 5
    assert per_variable[1] < 60  # a quadratic planner would score ~n/2 = 2000 per variable


def test_largest_size_counts_built_tables_not_the_loop():
    # A - B - C chain: summing B out of phi(A, B) phi(B, C) loops over 2*50*3 but builds (A, C)
    cards = {"A": 2, "B": 50, "C": 3}
    plan = plan_elimination([("A", "B"), ("B", "C")], cards, [["B"]], "min_fill", keep=["A", "C"])
    assert plan.largest_size == 6 and set(plan.largest_scope) == {"A", "C"}
    assert plan.total_work == 300
    stored = plan_elimination(
        [("A", "B"), ("B", "C")], cards, [[], ["B"]], "min_fill", keep=[], stored=["B"]
    )
    assert stored.largest_size == 300  # MAP keeps the full table for its traceback
