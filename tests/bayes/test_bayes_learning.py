"""Learning CPTs from complete data: counts, ML, Dirichlet/Laplace, declared states."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.bayes import (
    BayesNet,
    BayesNetError,
    UnknownNodeError,
    UnknownStateError,
    count_table,
    fit_cpts,
    forward_sample,
    random_network,
    sprinkler,
    student,
)


def structure_of(net: BayesNet) -> BayesNet:
    """Same nodes, states and edges, no CPTs."""
    empty = BayesNet(net.name)
    for node in net.nodes:
        empty.add_node(node, net.states(node))
    empty.add_edges(net.edges)
    return empty


def weather() -> BayesNet:
    net = BayesNet("weather")
    net.add_node("Sky", ["sun", "cloud", "storm"])
    net.add_node("Walk", ["yes", "no"], parents=["Sky"])
    return net


DATA = {
    "Sky": ["sun", "sun", "cloud", "sun", "cloud"],
    "Walk": ["yes", "yes", "no", "no", "no"],
}


def test_counts_and_maximum_likelihood_by_hand():
    net = weather()
    np.testing.assert_array_equal(count_table(net, DATA, "Walk"), [[2, 1], [0, 2], [0, 0]])
    np.testing.assert_array_equal(count_table(net, DATA, "Sky"), [3, 2, 0])
    fit_cpts(net, DATA)
    np.testing.assert_allclose(net.cpt("Sky").values, [0.6, 0.4, 0.0])
    # "storm" never occurs: its row is kept (uniform under ML), not dropped
    np.testing.assert_allclose(net.cpt("Walk").values, [[2 / 3, 1 / 3], [0, 1], [0.5, 0.5]])


def test_laplace_and_dirichlet_pseudo_counts():
    net = fit_cpts(weather(), DATA, pseudo_count=1.0)
    np.testing.assert_allclose(net.cpt("Sky").values, [4 / 8, 3 / 8, 1 / 8])
    np.testing.assert_allclose(net.cpt("Walk").values, [[3 / 5, 2 / 5], [1 / 4, 3 / 4], [0.5, 0.5]])
    prior = {"Walk": np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 1.0]])}  # per-entry alpha
    net = fit_cpts(weather(), DATA, pseudo_count=prior)
    np.testing.assert_allclose(net.cpt("Walk").values, [[3 / 4, 1 / 4], [0, 1], [3 / 4, 1 / 4]])
    np.testing.assert_allclose(net.cpt("Sky").values, [0.6, 0.4, 0.0])  # not listed: ML


def test_row_and_array_inputs_agree():
    rows = [dict(zip(DATA, values, strict=True)) for values in zip(*DATA.values(), strict=True)]
    a = fit_cpts(weather(), rows)
    index = np.array([[["sun", "cloud", "storm"].index(s), ["yes", "no"].index(w)]
                      for s, w in zip(*DATA.values(), strict=True)])  # fmt: skip
    b = fit_cpts(weather(), index)
    for node in ("Sky", "Walk"):
        np.testing.assert_array_equal(a.cpt(node).values, b.cpt(node).values)


def test_ml_recovers_the_generating_cpts(rng):
    truth = student()
    data = forward_sample(truth, 50_000, rng=rng)
    learned = fit_cpts(structure_of(truth), data)
    for node in truth.nodes:
        np.testing.assert_allclose(learned.cpt(node).values, truth.cpt(node).values, atol=0.03)
    # the ML estimate maximizes the likelihood of its own training data
    assert learned.log_likelihood(data) >= truth.log_likelihood(data)
    smoothed = fit_cpts(structure_of(truth), data, pseudo_count=5.0)
    assert learned.log_likelihood(data) >= smoothed.log_likelihood(data)


@pytest.mark.parametrize("seed", [0, 1])
def test_ml_estimates_are_consistent_on_random_networks(seed):
    truth = random_network(6, rng=np.random.default_rng(seed))
    data = forward_sample(truth, 60_000, rng=np.random.default_rng(seed + 100))
    learned = fit_cpts(structure_of(truth), data, pseudo_count=1.0)
    for node in truth.nodes:
        counts = count_table(truth, data, node).sum(axis=-1)
        well_seen = counts > 2000  # rows with enough data to be estimated to ~0.03
        diff = np.abs(learned.cpt(node).values - truth.cpt(node).values)
        assert (diff[well_seen] < 0.035).all()


def test_declared_but_unseen_states_keep_the_table_shape():
    net = sprinkler()
    data = {n: ["true"] * 10 for n in net.nodes}  # no "false" at all
    fitted = fit_cpts(structure_of(net), data, pseudo_count=1.0)
    assert fitted.cpt("WetGrass").shape == (2, 2, 2)
    np.testing.assert_allclose(fitted.cpt("Cloudy").values, [11 / 12, 1 / 12])


def test_data_errors_name_the_node():
    net = weather()
    with pytest.raises(UnknownStateError, match="column 'Sky' holds 'snow'.*\\('sun', 'cloud', "):
        fit_cpts(net, {"Sky": ["sun", "snow"], "Walk": ["yes", "no"]})
    with pytest.raises(UnknownStateError, match="column 'Walk' holds index 2"):
        fit_cpts(net, {"Sky": [0, 1], "Walk": [0, 2]})
    with pytest.raises(UnknownNodeError, match="data column 'Wind'"):
        fit_cpts(net, {**DATA, "Wind": ["n"] * 5})
    with pytest.raises(BayesNetError, match="no column for nodes \\['Walk'\\]"):
        fit_cpts(net, {"Sky": DATA["Sky"]})
    with pytest.raises(BayesNetError, match="different lengths"):
        fit_cpts(net, {"Sky": DATA["Sky"], "Walk": DATA["Walk"][:3]})
    with pytest.raises(BayesNetError, match="shape \\(N, 2\\)"):
        fit_cpts(net, np.zeros((4, 3), dtype=int))
    with pytest.raises(BayesNetError, match="integer state indices"):
        fit_cpts(net, np.zeros((4, 2)))
    with pytest.raises(BayesNetError, match="row 1 of the data"):
        fit_cpts(net, [{"Sky": "sun", "Walk": "yes"}, {"Sky": "sun"}])
    with pytest.raises(BayesNetError, match="does not broadcast to its CPT shape \\(3, 2\\)"):
        fit_cpts(net, DATA, pseudo_count={"Walk": np.ones(3)})
    with pytest.raises(BayesNetError, match="finite and >= 0"):
        fit_cpts(net, DATA, pseudo_count=-1.0)
    with pytest.raises(UnknownNodeError, match="pseudo_count key 'Wind'"):
        fit_cpts(net, DATA, pseudo_count={"Wind": 1.0})


def test_fitting_only_some_nodes_keeps_the_others():
    net = sprinkler()
    before = net.cpt("Cloudy").values.copy()
    data = forward_sample(net, 200, rng=np.random.default_rng(0))
    columns = {"Cloudy": data[:, 0], "Rain": data[:, 2]}  # all that P(Rain | Cloudy) needs
    fit_cpts(net, columns, nodes=["Rain"])
    np.testing.assert_array_equal(net.cpt("Cloudy").values, before)
    assert not np.array_equal(net.cpt("Rain").values, sprinkler().cpt("Rain").values)
