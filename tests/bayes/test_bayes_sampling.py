"""Samplers: exactness of ancestral sampling, convergence (TV < 0.02 at 1e5), rng discipline."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.bayes import (
    BayesNet,
    BayesNetError,
    UnknownNodeError,
    estimate,
    evidence_probability,
    forward_sample,
    likelihood_weighting,
    random_network,
    rejection_sample,
    sprinkler,
)

N = 100_000


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def empirical_joint(net: BayesNet, samples: np.ndarray) -> np.ndarray:
    shape = [net.cardinality(v) for v in net.nodes]
    flat = np.ravel_multi_index(tuple(samples.T), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape) / len(samples)


def test_forward_samples_follow_the_joint(brute, rng):
    net = sprinkler()
    samples = forward_sample(net, N, rng=rng)
    assert samples.shape == (N, 4) and samples.dtype == np.intp
    assert total_variation(empirical_joint(net, samples), brute.joint(net)) < 0.02
    # an impossible event never happens: WetGrass=true with neither sprinkler nor rain
    impossible = (samples[:, 1] == 1) & (samples[:, 2] == 1) & (samples[:, 3] == 0)
    assert not impossible.any()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_estimates_converge_on_random_networks(brute, seed):
    rng = np.random.default_rng(seed)
    net = random_network(8, max_states=3, rng=rng)
    joint = brute.joint(net)
    # evidence on the last two nodes (often descendants, the harder case), likely enough that
    # rejection keeps a useful share of the 1e5 draws
    evidence = {v: int(np.argmax(brute.posterior(net, joint, [v], {}))) for v in net.nodes[-2:]}
    assert evidence_probability(net, evidence) > 0.05
    kept = rejection_sample(net, N, evidence, rng=rng)
    samples, weights = likelihood_weighting(net, N, evidence, rng=rng)
    forward = forward_sample(net, N, rng=rng)
    for v in net.nodes[:-2]:
        exact = brute.posterior(net, joint, [v], evidence)
        assert total_variation(estimate(net, kept, v), exact) < 0.02
        assert total_variation(estimate(net, samples, v, weights), exact) < 0.02
        prior = brute.posterior(net, joint, [v], {})
        assert total_variation(estimate(net, forward, v), prior) < 0.02


def test_rejection_keeps_only_consistent_samples(rng):
    net = sprinkler()
    kept = rejection_sample(net, 5000, {"WetGrass": "true", "Cloudy": 1}, rng=rng)
    assert len(kept) > 0
    assert (kept[:, 3] == 0).all() and (kept[:, 0] == 1).all()
    fraction = len(kept) / 5000
    assert fraction == pytest.approx(
        evidence_probability(net, {"WetGrass": "true", "Cloudy": "false"}), abs=0.03
    )


def test_likelihood_weights_are_products_of_evidence_cpt_entries(rng):
    net = sprinkler()
    evidence = {"WetGrass": "true", "Sprinkler": "false"}
    samples, weights = likelihood_weighting(net, 1000, evidence, rng=rng)
    assert (samples[:, 1] == 1).all() and (samples[:, 3] == 0).all()
    wet = net.cpt("WetGrass").values
    sprinkle = net.cpt("Sprinkler").values
    expected = sprinkle[samples[:, 0], 1] * wet[1, samples[:, 2], 0]
    np.testing.assert_allclose(weights, expected, rtol=1e-15)
    assert weights.mean() == pytest.approx(evidence_probability(net, evidence), abs=0.03)


def test_dict_output_uses_state_names(rng):
    net = sprinkler()
    as_dict = forward_sample(net, 50, rng=np.random.default_rng(3), as_dict=True)
    as_array = forward_sample(net, 50, rng=np.random.default_rng(3))
    assert set(as_dict) == set(net.nodes)
    for j, node in enumerate(net.nodes):
        assert as_dict[node].tolist() == [net.states(node)[i] for i in as_array[:, j]]
    np.testing.assert_array_equal(estimate(net, as_dict, "Rain"), estimate(net, as_array, "Rain"))
    samples, weights = likelihood_weighting(net, 10, {"Rain": "true"}, rng=rng, as_dict=True)
    assert set(samples["Rain"].tolist()) == {"true"} and weights.shape == (10,)


def test_explicit_rng_is_reproducible_and_global_state_untouched():
    net = sprinkler()
    before = np.random.get_state()[1].copy()
    a = forward_sample(net, 100, rng=np.random.default_rng(7))
    b = forward_sample(net, 100, rng=np.random.default_rng(7))
    c = net.sample(100)  # the library's default generator, still not numpy's global state
    np.testing.assert_array_equal(a, b)
    assert c.shape == (100, 4)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_zero_probability_states_are_never_drawn(rng):
    net = BayesNet()
    net.add_node("A", ["x", "y", "z"], cpt=[0.5, 0.5, 0.0])
    net.add_node("B", ["x", "y"], parents=["A"], cpt=[[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    samples = forward_sample(net, 20_000, rng=rng)
    assert (samples[:, 0] != 2).all()
    assert ((samples[:, 0] == 0) == (samples[:, 1] == 1)).all()


def test_sampling_errors():
    net = sprinkler()
    with pytest.raises(UnknownNodeError, match="evidence 'Snow'"):
        rejection_sample(net, 10, {"Snow": "true"})
    with pytest.raises(UnknownNodeError, match="evidence 'Snow'"):
        likelihood_weighting(net, 10, {"Snow": "true"})
    with pytest.raises(BayesNetError, match="non-negative int"):
        forward_sample(net, -1)
    with pytest.raises(BayesNetError, match="no sample carries weight"):
        estimate(net, forward_sample(net, 0), "Rain")
    with pytest.raises(BayesNetError, match="weights of shape"):
        estimate(net, forward_sample(net, 3), "Rain", np.ones(4))
