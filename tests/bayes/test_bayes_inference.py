"""Exact inference: every result equals brute-force enumeration of the joint (to 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.bayes import (
    BayesNet,
    BayesNetError,
    FactorTooLargeError,
    UnknownNodeError,
    UnknownStateError,
    ZeroProbabilityEvidenceError,
    asia,
    elimination_plan,
    evidence_probability,
    map_query,
    query,
    random_network,
    sprinkler,
    student,
)

TOL = 1e-9


def random_case(seed: int, n_nodes: int, max_states: int):
    """A random network, 1-2 query variables and up to 3 evidence variables, all from ``seed``."""
    rng = np.random.default_rng(seed)
    net = random_network(n_nodes, max_states=max_states, rng=rng)
    nodes = list(rng.permutation(net.nodes))
    n_query = int(rng.integers(1, min(2, n_nodes) + 1))
    n_evidence = int(rng.integers(0, min(3, n_nodes - n_query) + 1))
    variables = nodes[:n_query]
    evidence = {
        v: net.states(v)[int(rng.integers(net.cardinality(v)))]
        for v in nodes[n_query : n_query + n_evidence]
    }
    return net, variables, evidence


CASES = dict(
    seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(1, 10), max_states=st.integers(2, 3)
)


@settings(max_examples=50, deadline=None)
@given(**CASES, heuristic=st.sampled_from(["min_fill", "min_degree"]))
def test_query_equals_brute_force(brute, seed, n_nodes, max_states, heuristic):
    net, variables, evidence = random_case(seed, n_nodes, max_states)
    joint = brute.joint(net)
    result = query(net, variables, evidence, elimination=heuristic)
    assert result.variables == tuple(variables)
    expected = brute.posterior(net, joint, variables, evidence)
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=TOL)
    p_e = evidence_probability(net, evidence, elimination=heuristic)
    assert abs(p_e - brute.evidence_probability(net, joint, evidence)) < TOL


@settings(max_examples=40, deadline=None)
@given(**CASES)
def test_mpe_and_map_equal_brute_force(brute, seed, n_nodes, max_states):
    net, variables, evidence = random_case(seed, n_nodes, max_states)
    joint = brute.joint(net)
    p_e = brute.evidence_probability(net, joint, evidence)
    # MPE over every non-evidence variable
    mpe = map_query(net, None, evidence)
    restricted = brute.restrict(net, joint, evidence)
    assert abs(mpe.probability - restricted.max() / p_e) < TOL
    full = {**mpe.assignment, **evidence}
    assert set(full) == set(net.nodes)
    assert abs(net.joint_probability(full) - restricted.max()) < TOL  # attains the maximum
    # MAP over a subset: hidden variables summed out first
    posterior = brute.posterior(net, joint, variables, evidence)
    result = map_query(net, variables, evidence)
    assert abs(result.probability - posterior.max()) < TOL
    index = tuple(net.state_index(v, result.assignment[v]) for v in variables)
    assert abs(posterior[index] - posterior.max()) < TOL


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 8))
def test_explicit_order_gives_the_same_answer(seed, n_nodes):
    net, variables, evidence = random_case(seed, n_nodes, 3)
    plan = elimination_plan(net, variables, evidence, "min_degree")
    reverse = list(reversed(plan.order))
    a = query(net, variables, evidence, elimination=reverse)
    b = query(net, variables, evidence, elimination="min_fill")
    np.testing.assert_allclose(a.values, b.values, rtol=0, atol=TOL)


def test_textbook_numbers():
    net = sprinkler()
    wet = {"WetGrass": "true"}
    assert net.query("Rain").to_dict()["true"] == pytest.approx(0.5, abs=1e-12)
    assert net.query("Rain", wet).to_dict()["true"] == pytest.approx(0.7079, abs=1e-4)
    assert net.query("Sprinkler", wet).to_dict()["true"] == pytest.approx(0.4298, abs=1e-4)
    both = {"WetGrass": "true", "Rain": "true"}
    assert net.query("Sprinkler", both).to_dict()["true"] == pytest.approx(0.1945, abs=1e-4)
    s = student()  # Koller & Friedman, Sec. 3.2.1.2
    assert s.query("Letter").to_dict()["l1"] == pytest.approx(0.502, abs=1e-3)
    assert s.query("Intelligence", {"Grade": "g3"}).to_dict()["i1"] == pytest.approx(
        0.079, abs=1e-3
    )
    assert s.query("Intelligence", {"Grade": "g3", "SAT": "s1"}).to_dict()["i1"] == (
        pytest.approx(0.578, abs=1e-3)
    )
    assert s.query("Difficulty", {"Grade": "g3"}).to_dict()["d1"] == pytest.approx(0.629, abs=1e-3)
    joint = s.query(["Grade", "Letter"])
    assert joint.variables == ("Grade", "Letter") and joint.values.shape == (3, 2)


def test_mpe_of_asia_without_evidence():
    result = asia().map_query()
    assert result.assignment == {
        "asia": "no", "tub": "no", "smoke": "no", "lung": "no",
        "bronc": "no", "either": "no", "xray": "no", "dysp": "no",
    }  # fmt: skip
    expected = 0.99 * 0.99 * 0.5 * 0.99 * 0.7 * 1.0 * 0.95 * 0.9
    assert result.probability == pytest.approx(expected, rel=1e-12)


def test_size_limit_refuses_up_front():
    net = BayesNet("wide")
    for i in range(12):
        net.add_node(f"R{i}", ["a", "b", "c"], cpt=[0.2, 0.3, 0.5])
    parents = [f"R{i}" for i in range(12)]
    net.add_node("Top", ["a", "b"], parents=parents)
    table = np.full((3,) * 12 + (2,), 0.5)
    net.set_cpt("Top", table)
    # summing out the first R leaves a table over the 11 others: 3**11 entries are built (the
    # 3**12 loop over the summed variable is never stored)
    with pytest.raises(FactorTooLargeError, match=r"177,147 entries, above max_factor_size="):
        query(net, "R0", {"Top": "a"}, max_factor_size=100_000)
    plan = elimination_plan(net, "R0", {"Top": "a"})
    assert plan.largest_size == 3**11
    assert query(net, "R0", {"Top": "a"}, max_factor_size=3**11).values.shape == (3,)
    assert query(net, "R0", {"Top": "a"}).to_dict()["c"] == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(FactorTooLargeError, match="map_query"):
        map_query(net, None, {"Top": "a"}, max_factor_size=1000)
    with pytest.raises(FactorTooLargeError, match="query fewer variables"):
        query(net, parents[:9], max_factor_size=1000)


def test_bad_queries_name_the_node():
    net = sprinkler()
    with pytest.raises(UnknownNodeError, match="evidence 'Snow' is not a node"):
        net.query("Rain", {"Snow": "true"})
    with pytest.raises(UnknownNodeError, match="query variable 'Snow'"):
        net.query("Snow")
    with pytest.raises(UnknownStateError, match="'WetGrass' has no state 'wet'"):
        net.query("Rain", {"WetGrass": "wet"})
    with pytest.raises(BayesNetError, match="also given as evidence"):
        net.query("Rain", {"Rain": "true"})
    with pytest.raises(BayesNetError, match="at least one variable"):
        net.query([])
    with pytest.raises(BayesNetError, match="distinct"):
        net.query(["Rain", "Rain"])
    with pytest.raises(BayesNetError, match="heuristic must be one of"):
        net.query("Rain", elimination="min_width")
    with pytest.raises(BayesNetError, match="missing \\['Sprinkler'\\]"):
        net.query("Rain", {"WetGrass": "true"}, elimination=["Cloudy"])
    with pytest.raises(UnknownNodeError, match="evidence 'Snow'"):
        net.map_query(evidence={"Snow": "true"})


def test_zero_probability_evidence():
    net = sprinkler()
    impossible = {"Sprinkler": "false", "Rain": "false", "WetGrass": "true"}
    with pytest.raises(ZeroProbabilityEvidenceError, match="probability zero"):
        net.query("Cloudy", impossible)
    with pytest.raises(ZeroProbabilityEvidenceError):
        net.map_query(evidence=impossible)
    assert evidence_probability(net, impossible) == 0.0


def test_incomplete_network_is_refused():
    net = BayesNet()
    net.add_node("A", ["x", "y"])
    with pytest.raises(BayesNetError, match="nodes without a CPT: \\['A'\\]"):
        net.query("A")


def test_barren_nodes_are_pruned_from_the_plan():
    net = asia()
    plan = elimination_plan(net, "lung", {"smoke": "yes"})
    assert plan.order == ()  # lung's only ancestor is the evidence
    assert evidence_probability(net, {}) == 1.0
