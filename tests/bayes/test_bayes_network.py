"""BayesNet structure: nodes, edges, acyclicity, graph queries, joint probability, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.bayes import (
    BayesNet,
    BayesNetError,
    CPTError,
    CycleError,
    UnknownNodeError,
    UnknownStateError,
    asia,
    random_network,
    sprinkler,
    student,
)


def make_network(seed: int, n: int) -> BayesNet:
    return random_network(n, rng=np.random.default_rng(seed))


def chain(*names: str) -> BayesNet:
    net = BayesNet("chain")
    for name in names:
        net.add_node(name, ["a", "b"])
    for parent, child in itertools.pairwise(names):
        net.add_edge(parent, child)
    return net


def test_structure_queries_on_asia():
    net = asia()
    assert net.nodes == ["asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp"]
    assert net.parents("either") == ("lung", "tub")
    assert set(net.children("smoke")) == {"lung", "bronc"}
    assert net.ancestors("dysp") == {"bronc", "either", "lung", "tub", "smoke", "asia"}
    assert net.descendants("smoke") == {"lung", "bronc", "either", "xray", "dysp"}
    assert net.ancestors(["xray", "bronc"]) == {"either", "lung", "tub", "asia", "smoke"}
    assert net.markov_blanket("either") == {"lung", "tub", "xray", "dysp", "bronc"}
    assert net.markov_blanket("asia") == {"tub"}
    assert net.cardinality("tub") == 2
    assert ("lung", "either") in net.edges
    assert len(net.edges) == 8
    assert "asia" in net and "cancer" not in net and len(net) == 8


def test_topological_order_puts_parents_first():
    for net in (asia(), student(), sprinkler(), make_network(3, 10)):
        order = net.topological_order()
        assert sorted(order) == sorted(net.nodes)
        position = {n: i for i, n in enumerate(order)}
        assert all(position[p] < position[c] for p, c in net.edges)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9))
def test_ancestors_and_markov_blanket_match_definitions(seed, n):
    net = make_network(seed, n)
    for node in net.nodes:
        expected = set()
        frontier = list(net.parents(node))
        while frontier:
            p = frontier.pop()
            if p not in expected:
                expected.add(p)
                frontier.extend(net.parents(p))
        assert net.ancestors(node) == expected
        assert all(node in net.ancestors(d) for d in net.descendants(node))
        blanket = {p for p, c in net.edges if c == node} | set(net.children(node))
        blanket |= {p for c in net.children(node) for p in net.parents(c)}
        assert net.markov_blanket(node) == blanket - {node}


def test_cycles_are_refused_and_show_the_cycle():
    net = chain("A", "B", "C")
    with pytest.raises(CycleError, match=r"C -> A would create the cycle C -> A -> B -> C"):
        net.add_edge("C", "A")
    with pytest.raises(CycleError, match="A -> A"):
        net.add_edge("A", "A")
    assert net.edges == [("A", "B"), ("B", "C")]  # unchanged after the refusals


def test_duplicate_nodes_edges_and_bad_states_are_refused():
    net = chain("A", "B")
    with pytest.raises(BayesNetError, match="node 'A' already exists"):
        net.add_node("A", ["x", "y"])
    with pytest.raises(BayesNetError, match="edge A -> B already exists"):
        net.add_edge("A", "B")
    with pytest.raises(BayesNetError, match="distinct"):
        net.add_node("C", ["x", "x"])
    with pytest.raises(BayesNetError, match="list of names"):
        net.add_node("C", "xy")
    with pytest.raises(BayesNetError, match="non-empty"):
        net.add_node("C", [])
    with pytest.raises(BayesNetError, match="non-empty strings"):
        net.add_node("", ["x"])


def test_unknown_nodes_are_named():
    net = sprinkler()
    with pytest.raises(UnknownNodeError, match="'Snow' is not a node of network 'sprinkler'"):
        net.parents("Snow")
    with pytest.raises(KeyError):  # an unknown node is also a lookup error
        net.cpt("Snow")
    with pytest.raises(UnknownNodeError, match="'Snow'"):
        net.add_edge("Snow", "Rain")
    with pytest.raises(UnknownNodeError, match="parent of new node 'X'"):
        net.add_node("X", ["a", "b"], parents=["Snow"])
    assert "X" not in net  # the failed add left nothing behind
    with pytest.raises(CPTError, match="CPT of 'X' has shape \\(2,\\)"):
        net.add_node("X", ["a", "b"], parents=["Rain"], cpt=[0.5, 0.5])
    assert "X" not in net and net.children("Rain") == ("WetGrass",)


def test_adding_a_parent_after_the_cpt_is_refused():
    net = chain("A", "B")
    net.set_cpt("A", [0.5, 0.5])
    net.set_cpt("B", [[0.9, 0.1], [0.2, 0.8]])
    net.add_node("C", ["a", "b"], cpt=[0.3, 0.7])
    with pytest.raises(CPTError, match=r"node 'B' already has a CPT.*remove_cpt\('B'\)"):
        net.add_edge("C", "B")
    net.remove_cpt("B")
    net.add_edge("C", "B")
    assert net.parents("B") == ("A", "C")
    with pytest.raises(CPTError, match="nodes without a CPT: \\['B'\\]"):
        net.check_model()


def test_joint_probability_is_the_product_of_cpt_entries():
    net = sprinkler()
    p = net.joint_probability(
        {"Cloudy": "true", "Sprinkler": "false", "Rain": "true", "WetGrass": "true"}
    )
    assert p == pytest.approx(0.5 * 0.9 * 0.8 * 0.9, abs=1e-15)
    same = net.joint_probability({"Cloudy": 0, "Sprinkler": 1, "Rain": 0, "WetGrass": 0})
    assert same == p
    total = sum(
        net.joint_probability(dict(zip(net.nodes, states, strict=True)))
        for states in itertools.product(*(net.states(n) for n in net.nodes))
    )
    assert total == pytest.approx(1.0, abs=1e-12)


def test_joint_probability_errors_name_the_problem():
    net = sprinkler()
    with pytest.raises(BayesNetError, match="no value for \\['WetGrass'\\]"):
        net.joint_probability({"Cloudy": "true", "Sprinkler": "true", "Rain": "true"})
    full = {"Cloudy": "true", "Sprinkler": "true", "Rain": "true", "WetGrass": "damp"}
    with pytest.raises(UnknownStateError, match="'WetGrass' has no state 'damp'"):
        net.joint_probability(full)
    with pytest.raises(UnknownStateError, match="index 5 is out of range"):
        net.joint_probability({**full, "WetGrass": 5})
    with pytest.raises(UnknownNodeError, match="'Snow'"):
        net.joint_probability({**full, "WetGrass": "true", "Snow": "true"})


def test_log_likelihood_sums_log_joint_over_rows(rng):
    net = student()
    data = net.sample(200, rng=rng)
    expected = sum(
        math.log(net.joint_probability(dict(zip(net.nodes, row.tolist(), strict=True))))
        for row in data
    )
    assert net.log_likelihood(data) == pytest.approx(expected, rel=1e-12)
    as_names = {n: np.asarray(net.states(n))[data[:, j]] for j, n in enumerate(net.nodes)}
    assert net.log_likelihood(as_names) == pytest.approx(expected, rel=1e-12)


def test_log_likelihood_of_an_impossible_row_is_minus_infinity():
    net = sprinkler()
    row = {"Cloudy": "true", "Sprinkler": "false", "Rain": "false", "WetGrass": "true"}
    assert net.log_likelihood([row]) == -math.inf


def test_copy_is_independent():
    net = sprinkler()
    other = net.copy()
    other.add_node("Slippery", ["true", "false"], parents=["WetGrass"])
    assert "Slippery" not in net
    assert net.children("WetGrass") == ()


def test_printing_shows_every_table():
    text = str(sprinkler())
    assert "P(WetGrass | Sprinkler, Rain)" in text
    assert "0.99" in text
    assert repr(sprinkler()) == "BayesNet('sprinkler', 4 nodes, 4 edges, 4 CPTs)"
    partial = chain("A", "B")
    assert "P(B | A): no CPT yet" in str(partial)
