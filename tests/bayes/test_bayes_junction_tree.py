"""Junction-tree marginals equal variable elimination's for every node, evidence or not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnblocks.bayes import (
    FactorTooLargeError,
    JunctionTree,
    ZeroProbabilityEvidenceError,
    asia,
    log_evidence_probability,
    query,
    random_network,
    sprinkler,
)


def assert_marginals_equal_ve(net, evidence):
    marginals = net.marginals(evidence)
    assert list(marginals) == [v for v in net.nodes if v not in evidence]
    for variable, factor in marginals.items():
        np.testing.assert_allclose(
            factor.values, query(net, variable, evidence).values, rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("seed", range(8))
def test_marginals_equal_variable_elimination_on_random_networks(seed):
    rng = np.random.default_rng(seed)
    net = random_network(int(rng.integers(2, 40)), window=int(rng.integers(2, 8)), rng=rng)
    row = net.sample(1, rng=rng)[0]
    chosen = rng.choice(len(net), size=int(rng.integers(0, min(6, len(net)))), replace=False)
    evidence = {net.nodes[j]: int(row[j]) for j in chosen}
    assert_marginals_equal_ve(net, evidence)
    tree = JunctionTree(net, evidence)
    assert math.isclose(
        tree.log_evidence_probability, log_evidence_probability(net, evidence), abs_tol=1e-9
    )


def test_asia_and_sprinkler_textbook_marginals():
    assert_marginals_equal_ve(asia(), {})
    assert_marginals_equal_ve(asia(), {"xray": "yes", "smoke": "no"})
    marginals = sprinkler().marginals([("WetGrass", "true")])
    assert marginals["Rain"].to_dict()["true"] == pytest.approx(0.7079, abs=1e-4)


def test_junction_tree_errors():
    net = sprinkler()
    with pytest.raises(ZeroProbabilityEvidenceError, match="probability zero"):
        JunctionTree(net, {"Sprinkler": "false", "Rain": "false", "WetGrass": "true"})
    tree = JunctionTree(net, {"Rain": "true"})
    assert tree.query("Cloudy").to_dict() == tree.marginal("Cloudy").to_dict()
    with pytest.raises(ValueError, match="'Rain' is observed"):
        tree.marginal("Rain")
    with pytest.raises(FactorTooLargeError, match="clique of"):
        JunctionTree(random_network(30, max_states=3, rng=np.random.default_rng(0)),
                     max_factor_size=10)  # fmt: skip
