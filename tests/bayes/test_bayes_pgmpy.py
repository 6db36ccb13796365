"""Parity with pgmpy (optional): marginals, posteriors and BIF reading agree.

pgmpy 1.x emits deprecation warnings on import and during queries; they are silenced locally
because the suite runs with warnings as errors.
"""

from __future__ import annotations

import functools
import gzip
import os
import pathlib
import warnings

import numpy as np
import pytest

from benchmarks.bayes import to_pgmpy  # the one converter, shared with the benchmark
from nnblocks.bayes import (
    BayesNet,
    FactorTooLargeError,
    JunctionTree,
    asia,
    elimination_plan,
    forward_sample,
    parse_bif,
    random_network,
    read_bif,
    student,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        import pgmpy  # CI must have the reference implementation: fail loudly
    else:
        pgmpy = pytest.importorskip("pgmpy")
    from pgmpy.inference import VariableElimination
    from pgmpy.readwrite import BIFReader

DATA = pathlib.Path(__file__).parent / "data"


def pgmpy_posterior(model, variable: str, evidence: dict, states: tuple[str, ...]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factor = VariableElimination(model).query([variable], evidence=evidence or None,
                                                  show_progress=False)  # fmt: skip
    names = factor.state_names[variable]
    return np.array([factor.values[names.index(s)] for s in states])


def random_evidence(net: BayesNet, rng: np.random.Generator, k: int) -> dict[str, str]:
    chosen = rng.choice(net.nodes, size=k, replace=False)
    return {str(v): net.states(str(v))[int(rng.integers(net.cardinality(str(v))))] for v in chosen}


@pytest.mark.parametrize(
    "net",
    [asia(), student(), random_network(9, rng=np.random.default_rng(5))],
    ids=["asia", "student", "random9"],
)
def test_marginals_and_posteriors_match_pgmpy(net, rng):
    model = to_pgmpy(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert model.check_model()
    evidence_sets = [{}] + [random_evidence(net, rng, k) for k in (1, 2)]
    if net.name == "asia":
        evidence_sets.append({"xray": "yes", "smoke": "no"})
    for evidence in evidence_sets:
        for variable in net.nodes:
            if variable in evidence:
                continue
            ours = net.query(variable, evidence).values
            theirs = pgmpy_posterior(model, variable, evidence, net.states(variable))
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_conditional_table_layout_reads_as_in_pgmpy():
    """sprinkler.bif gives conditional CPTs as ``table`` (the child's state varying slowest).

    (Only this file: pgmpy's reader is slow, ~2 s a file, and misreads the ``default`` rows of
    student.bif; asia.bif's row form is checked against the hand-built network elsewhere.)
    """
    ours = read_bif(DATA / "sprinkler.bif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = BIFReader(DATA / "sprinkler.bif").get_model()
    for node in ours.nodes:
        for evidence in ({}, {ours.nodes[-1]: ours.states(ours.nodes[-1])[0]}):
            if node in evidence:
                continue
            expected = pgmpy_posterior(theirs, node, evidence, ours.states(node))
            np.testing.assert_allclose(ours.query(node, evidence).values, expected, atol=1e-9)


@pytest.mark.parametrize("name", ["child", "insurance"])
def test_bnlearn_networks_shipped_with_pgmpy_read_alike(name, rng):
    """bnlearn's own BIF files (row form, 20 and 27 nodes, up to 3 parents): our reader and
    pgmpy's give the same posteriors (files whose rows sum to 1 exactly, so no renormalizing)."""
    path = pathlib.Path(pgmpy.__file__).parent / "utils" / "example_models" / f"{name}.bif.gz"
    if not path.exists():
        pytest.skip(f"this pgmpy has no bundled {path.name}")
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    ours = parse_bif(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = BIFReader(string=text).get_model()
    assert sorted(ours.edges) == sorted(theirs.edges())
    for evidence in ({}, random_evidence(ours, rng, 2)):
        for variable in rng.choice(ours.nodes, size=4, replace=False).tolist():
            if variable in evidence:
                continue
            expected = pgmpy_posterior(theirs, variable, evidence, ours.states(variable))
            np.testing.assert_allclose(ours.query(variable, evidence).values, expected, atol=1e-9)


# Every bnlearn network pgmpy 1.x ships as BIF (pgmpy/utils/example_models/*.bif.gz).
BNLEARN = [
    "alarm", "andes", "asia", "barley", "cancer", "child", "diabetes", "earthquake",
    "hailfinder", "hepar2", "insurance", "link", "mildew", "munin", "munin1", "munin2",
    "munin3", "munin4", "pathfinder", "pigs", "sachs", "survey", "water", "win95pts",
]  # fmt: skip
QUERIES_PER_NETWORK = 8  # all 24 networks: ~15 s, two thirds of it parsing the big files


@functools.cache
def bundled(name: str) -> BayesNet:
    """A bnlearn network from pgmpy's package data, read by our parser (rows renormalized:
    several files round their numbers)."""
    path = pathlib.Path(pgmpy.__file__).parent / "utils" / "example_models" / f"{name}.bif.gz"
    if not path.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise FileNotFoundError(f"pgmpy {pgmpy.__version__} has no {path.name}")
        pytest.skip(f"this pgmpy has no bundled {path.name}")
    return parse_bif(gzip.decompress(path.read_bytes()).decode("utf-8"), renormalize=True)


def sampled_queries(net: BayesNet, rng: np.random.Generator, count: int):
    """``count`` (variable, evidence) pairs; evidence (0-5 nodes) read off forward samples, so
    it has positive probability."""
    samples = forward_sample(net, count, rng=rng)
    out = []
    for row in samples:
        size = 1 + int(rng.integers(0, min(6, len(net))))
        chosen = rng.choice(len(net), size=size, replace=False)
        names = [net.nodes[j] for j in chosen]
        evidence = {v: net.states(v)[row[j]] for v, j in zip(names[1:], chosen[1:], strict=True)}
        out.append((names[0], evidence))
    return out


@pytest.mark.parametrize("name", BNLEARN)
def test_every_bundled_bnlearn_network_agrees_with_pgmpy(name, rng):
    """Random posteriors (default size guard) equal pgmpy's VariableElimination to 1e-9."""
    net = bundled(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = to_pgmpy(net)
    for variable, evidence in sampled_queries(net, rng, QUERIES_PER_NETWORK):
        ours = net.query(variable, evidence).values
        theirs = pgmpy_posterior(model, variable, evidence, net.states(variable))
        np.testing.assert_allclose(
            ours, theirs, rtol=0, atol=1e-9, err_msg=f"{variable} {evidence}"
        )


def test_cardinality_aware_planning_on_mildew():
    """Plain min-fill ignores that mildew's variables have up to 100 states; auto does not."""
    net = bundled("mildew")
    evidence = {"temp_3": 3, "middel_1": 3, "udbytte": 58, "foto_2": 13}
    fill = elimination_plan(net, "lai_3", evidence, "min_fill")
    auto = elimination_plan(net, "lai_3", evidence)
    assert auto.largest_size * 5 <= fill.largest_size
    assert auto.total_work < fill.total_work


@pytest.mark.parametrize("name", ["alarm", "hepar2", "win95pts", "pathfinder", "andes"])
def test_junction_tree_marginals_equal_variable_elimination_on_bnlearn(name, rng):
    net = bundled(name)
    for _, evidence in sampled_queries(net, rng, 2):
        tree = JunctionTree(net, evidence)
        hidden = [v for v in net.nodes if v not in evidence]
        for variable in rng.choice(hidden, size=min(12, len(hidden)), replace=False):
            np.testing.assert_allclose(
                tree.marginal(variable).values, net.query(variable, evidence).values, atol=1e-12
            )


def test_marginals_fall_back_to_one_query_per_node_when_a_clique_is_too_large(rng):
    """munin1's tree has a clique of 10^7-10^8 entries; each pruned query is small."""
    net = bundled("munin1")
    _, evidence = sampled_queries(net, rng, 1)[0]
    with pytest.raises(FactorTooLargeError, match="clique of"):
        JunctionTree(net, evidence)
    marginals = net.marginals(evidence)
    assert len(marginals) == len(net) - len(evidence)
    for variable in rng.choice(list(marginals), size=5, replace=False):
        np.testing.assert_array_equal(
            marginals[variable].values, net.query(variable, evidence).values
        )
