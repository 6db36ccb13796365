"""JSON save/load and the BIF format: classic networks, exact round trips, parse errors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.bayes import (
    BayesNet,
    BayesNetError,
    BIFError,
    CPTError,
    CycleError,
    UnknownStateError,
    asia,
    from_json,
    load,
    parse_bif,
    random_network,
    read_bif,
    save,
    sprinkler,
    student,
    to_bif,
    to_json,
)

DATA = pathlib.Path(__file__).parent / "data"


def assert_same_network(a: BayesNet, b: BayesNet) -> None:
    assert a.nodes == b.nodes
    assert a.edges == b.edges
    for node in a.nodes:
        assert a.states(node) == b.states(node)
        assert a.parents(node) == b.parents(node)
        np.testing.assert_array_equal(a.cpt(node).values, b.cpt(node).values)


@pytest.mark.parametrize(
    ("filename", "builder"),
    [("asia.bif", asia), ("sprinkler.bif", sprinkler), ("student.bif", student)],
)
def test_classic_networks_load_from_bif(filename, builder):
    net = read_bif(DATA / filename)
    assert_same_network(net, builder())
    assert load(DATA / filename).nodes == net.nodes


def test_loaded_networks_answer_textbook_queries():
    net = read_bif(DATA / "asia.bif")
    p = net.query("lung", {"smoke": "yes", "xray": "yes"}).to_dict()["yes"]
    assert 0.0 < p < 1.0
    assert read_bif(DATA / "sprinkler.bif").query("Rain", {"WetGrass": "true"}).to_dict()[
        "true"
    ] == pytest.approx(0.7079, abs=1e-4)


JAVABAYES = """
// Bayesian network, JavaBayes style: quoted names, no commas, no '|'
network "Dog-Problem" { //5 variables and 5 probability distributions
    property "credal-set constant-density-bounded 1.1" ;
}
variable  "light-on" { //2 values
    type discrete[2] {  "true"  "false" };
    property "position = (218, 195)" ;
}
variable  "family-out" {
    type discrete[2] {  "true"  "false" };
}
probability (  "light-on"  "family-out" ) { //2 variable(s) and 4 values
    table 0.6 0.05 0.4 0.95 ;
}
probability (  "family-out" ) {
    table 0.15 0.85 ;
}
"""


def test_javabayes_dialect():
    net = parse_bif(JAVABAYES)
    assert net.name == "Dog-Problem"
    assert net.parents("light-on") == ("family-out",)
    np.testing.assert_allclose(net.cpt("light-on").values, [[0.6, 0.4], [0.05, 0.95]])
    np.testing.assert_allclose(net.cpt("family-out").values, [0.15, 0.85])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10))
def test_json_and_bif_round_trips_are_exact(seed, n):
    net = random_network(n, rng=np.random.default_rng(seed))
    assert_same_network(from_json(to_json(net)), net)
    assert_same_network(parse_bif(to_bif(net)), net)


def test_save_and_load_files(tmp_path):
    net = student()
    for suffix in (".json", ".bif"):
        path = save(net, tmp_path / f"student{suffix}")
        assert_same_network(load(path), net)
    document = json.loads((tmp_path / "student.json").read_text())
    assert document["format"] == "nnblocks.bayes" and document["version"] == 1
    assert document["nodes"][2]["parents"] == ["Intelligence", "Difficulty"]
    with pytest.raises(BayesNetError, match="unknown suffix '.pkl'"):
        save(net, tmp_path / "student.pkl")
    with pytest.raises(BayesNetError, match="unknown suffix '.pkl'"):
        load(tmp_path / "student.pkl")


def test_names_with_spaces_are_quoted_in_bif():
    net = BayesNet("my net")
    net.add_node("Wet grass", ["very wet", "dry"], cpt=[0.3, 0.7])
    text = to_bif(net)
    assert 'variable "Wet grass"' in text
    assert_same_network(parse_bif(text), net)


def test_json_keeps_nodes_without_cpts():
    net = BayesNet()
    net.add_node("A", ["x", "y"], cpt=[0.5, 0.5])
    net.add_node("B", ["x", "y"], parents=["A"])
    again = from_json(to_json(net))
    assert again.parents("B") == ("A",) and not again.has_cpt("B")


def test_json_errors():
    good = json.loads(to_json(sprinkler()))
    with pytest.raises(BayesNetError, match="not an nnblocks.bayes document"):
        from_json(json.dumps({"format": "other"}))
    with pytest.raises(BayesNetError, match="version 9 is not supported"):
        from_json(json.dumps({**good, "version": 9}))
    with pytest.raises(BayesNetError, match="invalid JSON"):
        from_json("{not json")
    broken = json.loads(to_json(sprinkler()))
    del broken["nodes"][1]["states"]
    with pytest.raises(BayesNetError, match="node entry 1 \\('Sprinkler'\\) lacks keys"):
        from_json(json.dumps(broken))
    broken = json.loads(to_json(sprinkler()))
    broken["nodes"][3]["cpt"] = [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(CPTError, match="CPT of 'WetGrass' has shape \\(2, 2\\)"):
        from_json(json.dumps(broken))
    broken = json.loads(to_json(sprinkler()))
    broken["nodes"][0]["parents"] = ["WetGrass"]
    with pytest.raises(CycleError):
        from_json(json.dumps(broken))


HEADER = "network n {}\nvariable A { type discrete [ 2 ] { a0, a1 }; }\n"
B_VAR = "variable B { type discrete [ 2 ] { b0, b1 }; }\n"


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (HEADER + "probability ( A ) { table 0.5 0.5; }\nbogus", BIFError, "line 4: expected"),
        ("variable A { type discrete [ 3 ] { a0, a1 }; }", BIFError, "declares \\[3\\] states"),
        (HEADER, BIFError, "variable 'A' has no probability block"),
        (HEADER + "probability ( A | C ) { table 0.5 0.5; }", BIFError, "undeclared variable 'C'"),
        (HEADER + "probability ( A ) { table 0.5 0.2 0.3; }", BIFError, "has 3 numbers, expect"),
        (HEADER + "probability ( A ) { table 0.5 x; }", BIFError, "line 3: expected a number"),
        (HEADER + B_VAR + "probability ( A ) { table 0.5 0.5; }\n"
         "probability ( B | A ) { (a0) 0.5 0.5; }", BIFError, "no row for \\('a1',\\)"),
        (HEADER + B_VAR + "probability ( A ) { table 0.5 0.5; }\n"
         "probability ( B | A ) { (a0) 0.5 0.5; (a2) 0.1 0.9; }", UnknownStateError,
         "'A' has no state 'a2'"),
        (HEADER + B_VAR + "probability ( A | B ) { (b0) 0.5 0.5; (b1) 0.5 0.5; }\n"
         "probability ( B | A ) { (a0) 0.5 0.5; (a1) 0.5 0.5; }", CycleError, "cycle"),
        (HEADER + "probability ( A ) { table 0.5 0.6; }", CPTError, "sums to 1.1"),
        (HEADER + "probability ( A ) { table 0.5 0.5; ", BIFError, "unexpected end of text"),
        ("variable A { type continuous [ 2 ] { a, b }; }", BIFError, "only discrete"),
        ("", BIFError, "declares no variable"),
        ("network n { }\n", BIFError, "declares no variable"),
        (HEADER + 'probability ( A ) { table 0.5 0.5; }\n"', BIFError, "line 4: a double quote"),
        (HEADER + B_VAR + "probability ( A ) { table 0.5 0.5; }\n"
         "probability ( B | A ) { (a0) 0.5 0.5; (a1) nan 0.5; }", BIFError,
         "line 5: expected a finite number in the probability of 'B', got 'nan'"),
    ],
    ids=["junk", "count", "no-block", "undeclared", "length", "number", "missing-row",
         "unknown-state", "cycle", "row-sum", "truncated", "continuous", "empty", "cut-off",
         "lone-quote", "nan"],
)  # fmt: skip
def test_bif_errors(text, error, message):
    with pytest.raises(error, match=message):
        parse_bif(text)


def test_read_bif_refuses_what_is_neither_text_nor_file(tmp_path):
    with pytest.raises(BIFError, match="expected a path to a .bif file or BIF text"):
        read_bif("")
    with pytest.raises(BIFError, match="expected a path"):
        read_bif(str(tmp_path / "missing.bif"))
    path = tmp_path / "s.bif"
    path.write_text(to_bif(sprinkler()), encoding="utf-8")
    assert read_bif(str(path)).nodes == read_bif(path).nodes == sprinkler().nodes


def test_renormalize_option_fixes_rounded_rows():
    text = HEADER + "probability ( A ) { table 0.3333, 0.6666; }"
    with pytest.raises(
        CPTError,
        match=r"line 3: CPT of 'A': row sums to 0.9999(?s:.*)"
        r"renormalize=True",
    ):
        parse_bif(text)
    net = parse_bif(text, renormalize=True)
    np.testing.assert_allclose(net.cpt("A").values, [1 / 3, 2 / 3], rtol=1e-12)


def test_no_pickle_in_the_package():
    package = pathlib.Path(__file__).parents[2] / "nnblocks" / "bayes"
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "import pickle" not in text and "pickle.load" not in text, source
