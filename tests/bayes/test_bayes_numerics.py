"""Inference far below float64's range: exact posteriors, log P(e), and only true zeros raise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnblocks.bayes import (
    BayesNet,
    ZeroProbabilityEvidenceError,
    evidence_probability,
    log_evidence_probability,
    map_query,
    query,
    sprinkler,
)


def rare_features(n_features: int, rng: np.random.Generator):
    """Class -> n binary features, each rarely "on"; returns the net and P(on | class) (n, 2)."""
    net = BayesNet("rare")
    net.add_node("Class", ["c0", "c1"], cpt=[0.5, 0.5])
    p_on = np.stack(
        [rng.uniform(0.005, 0.015, n_features), rng.uniform(0.012, 0.03, n_features)], 1
    )
    for i in range(n_features):
        net.add_node(f"F{i}", ["off", "on"], parents=["Class"])
        net.set_cpt(f"F{i}", np.stack([1 - p_on[i], p_on[i]], axis=-1))  # (2 classes, 2 states)
    return net, p_on


@pytest.mark.parametrize("n_features", [200, 1000])
def test_rare_features_give_the_exact_posterior(n_features, rng):
    net, p_on = rare_features(n_features, rng)
    evidence = {f"F{i}": "on" for i in range(n_features)}
    log_joint = np.log(0.5) + np.log(p_on).sum(axis=0)  # log P(Class = c, e), closed form
    log_pe = float(np.logaddexp(log_joint[0], log_joint[1]))
    assert log_pe < -745  # P(e) itself is below the smallest float64
    expected = np.exp(log_joint - log_pe)  # [tiny (or 0.0 when below 1e-308), ~1]
    posterior = query(net, "Class", evidence).values
    np.testing.assert_allclose(posterior, expected, rtol=1e-9, atol=0)
    assert math.isclose(log_evidence_probability(net, evidence), log_pe, rel_tol=1e-12)
    assert evidence_probability(net, evidence) == 0.0  # below range, not an error
    best = map_query(net, ["Class"], evidence)
    assert best.assignment == {"Class": "c1"}
    assert math.isclose(best.probability, expected[1], rel_tol=1e-9)
    if n_features == 200:
        assert 1e-70 < posterior[0] < 1e-30  # not flushed to zero


def test_evidence_as_a_list_of_pairs():
    net = sprinkler()
    pairs = [("WetGrass", "true"), ("Cloudy", "false")]
    as_dict = query(net, "Rain", dict(pairs)).values
    np.testing.assert_array_equal(query(net, "Rain", pairs).values, as_dict)
    assert evidence_probability(net, pairs) == evidence_probability(net, dict(pairs))
    with pytest.raises(TypeError, match="evidence as a list must hold \\(node, state\\) pairs"):
        query(net, "Rain", ["WetGrass"])
    with pytest.raises(TypeError, match="evidence must be a dict"):
        query(net, "Rain", 3)
    with pytest.raises(ValueError, match="two states"):
        query(net, "Rain", [("WetGrass", "true"), ("WetGrass", "false")])


def test_true_zero_raises_with_a_short_message():
    net, _ = rare_features(50, np.random.default_rng(0))
    net.remove_cpt("F7")
    net.set_cpt("F7", [[1.0, 0.0], [1.0, 0.0]])  # F7 is never "on"
    evidence = {f"F{i}": "on" for i in range(50)}
    with pytest.raises(ZeroProbabilityEvidenceError) as caught:
        query(net, "Class", evidence)
    message = str(caught.value)
    assert "F0='on', F1='on', F2='on', ... and 47 more" in message
    assert len(message) < 160
    assert log_evidence_probability(net, evidence) == -math.inf
