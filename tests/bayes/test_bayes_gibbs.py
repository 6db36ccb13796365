"""Gibbs sampling: every posterior marginal within total variation 0.02 of the exact one."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.bayes import (
    BayesNetError,
    estimate,
    gibbs_sample,
    random_network,
    sprinkler,
    student,
)


def max_total_variation(net, samples, evidence) -> float:
    marginals = net.marginals(evidence)
    return max(
        0.5 * float(np.abs(estimate(net, samples, v) - f.values).sum())
        for v, f in marginals.items()
    )


def networks():
    yield sprinkler(), {"WetGrass": "true"}
    yield student(), {"Letter": "l1", "SAT": "s0"}
    for seed, window in ((1, 3), (2, 5), (3, 4)):
        net = random_network(14, window=window, alpha=2.0, rng=np.random.default_rng(seed))
        row = net.sample(1, rng=np.random.default_rng(seed))[0]
        yield net, {net.nodes[-1]: int(row[-1]), net.nodes[6]: int(row[6])}


@pytest.mark.parametrize("case", list(networks()), ids=lambda c: c[0].name)
def test_gibbs_marginals_are_within_002_of_exact(case, rng):
    net, evidence = case
    samples = gibbs_sample(net, 30_000, evidence, burn_in=100, thin=2, chains=300, rng=rng)
    assert samples.shape == (30_000, len(net))
    for node, state in evidence.items():
        assert np.all(samples[:, net.nodes.index(node)] == net.state_index(node, state))
    assert max_total_variation(net, samples, evidence) <= 0.02


def test_gibbs_is_reproducible_and_checks_arguments():
    net = sprinkler()
    a = gibbs_sample(net, 50, rng=np.random.default_rng(4), burn_in=5, chains=7)
    b = gibbs_sample(net, 50, rng=np.random.default_rng(4), burn_in=5, chains=7)
    np.testing.assert_array_equal(a, b)
    as_dict = gibbs_sample(net, 3, rng=np.random.default_rng(4), as_dict=True)
    assert set(as_dict) == set(net.nodes) and len(as_dict["Rain"]) == 3
    with pytest.raises(BayesNetError, match="thin must be an int >= 1"):
        gibbs_sample(net, 10, thin=0)
    with pytest.raises(BayesNetError, match="no start consistent with the evidence"):
        gibbs_sample(net, 10, {"Sprinkler": "false", "Rain": "false", "WetGrass": "true"},
                     chains=2, rng=np.random.default_rng(0))  # fmt: skip
