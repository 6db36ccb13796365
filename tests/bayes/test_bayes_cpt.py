"""CPTs: the accepted forms (arrays, nested dicts) and validation errors with expected layouts."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.bayes import CPT, BayesNet, CPTError, UnknownStateError, sprinkler

WET = np.array([[[0.99, 0.01], [0.9, 0.1]], [[0.9, 0.1], [0.0, 1.0]]])  # (Sprinkler, Rain, Wet)


def grass() -> BayesNet:
    """Sprinkler and Rain (no CPT needed for them here) -> WetGrass, which has no CPT yet."""
    net = BayesNet("grass")
    net.add_node("Sprinkler", ["on", "off"])
    net.add_node("Rain", ["yes", "no"])
    net.add_node("WetGrass", ["true", "false"], parents=["Sprinkler", "Rain"])
    return net


@pytest.mark.parametrize(
    "table",
    [
        WET,
        WET.tolist(),
        {
            ("on", "yes"): {"true": 0.99, "false": 0.01},
            ("on", "no"): {"true": 0.9, "false": 0.1},
            ("off", "yes"): {"false": 0.1, "true": 0.9},  # key order inside a row is free
            ("off", "no"): {"true": 0.0, "false": 1.0},
        },
        {  # one parent per level
            "on": {"yes": [0.99, 0.01], "no": [0.9, 0.1]},
            "off": {"yes": [0.9, 0.1], "no": [0.0, 1.0]},
        },
        {  # state indices instead of names
            (0, 0): [0.99, 0.01],
            (0, 1): [0.9, 0.1],
            (1, 0): [0.9, 0.1],
            (1, 1): [0.0, 1.0],
        },
    ],
    ids=["array", "lists", "tuple-keys", "nested", "indices"],
)
def test_every_accepted_form_gives_the_same_table(table):
    net = grass()
    cpt = net.set_cpt("WetGrass", table)
    np.testing.assert_array_equal(cpt.values, WET)
    assert cpt.shape == (2, 2, 2)
    assert cpt.parents == ("Sprinkler", "Rain")
    assert not cpt.values.flags.writeable


def test_root_cpt_forms():
    net = BayesNet()
    net.add_node("A", ["x", "y", "z"])
    assert net.set_cpt("A", {"z": 0.5, "x": 0.2, "y": 0.3}).values.tolist() == [0.2, 0.3, 0.5]
    assert net.set_cpt("A", [0.2, 0.3, 0.5]).distribution() == {"x": 0.2, "y": 0.3, "z": 0.5}


def test_single_parent_takes_plain_state_keys():
    net = sprinkler()
    assert net.cpt("Rain").to_dict() == {
        ("true",): {"true": 0.8, "false": 0.2},
        ("false",): {"true": 0.2, "false": 0.8},
    }
    assert net.cpt("Rain").distribution({"Cloudy": "false"}) == {"true": 0.2, "false": 0.8}


def test_a_cpt_round_trips_through_to_dict_and_can_be_reused():
    net = sprinkler()
    other = grass()
    other.set_cpt("WetGrass", net.cpt("WetGrass").values)
    again = grass()
    again.set_cpt("WetGrass", other.cpt("WetGrass").to_dict())
    np.testing.assert_array_equal(again.cpt("WetGrass").values, net.cpt("WetGrass").values)
    copy = grass()
    copy.set_cpt("WetGrass", again.cpt("WetGrass"))  # a CPT object with matching parents
    with pytest.raises(CPTError, match="cannot be the CPT of 'Sprinkler'"):
        copy.set_cpt("Sprinkler", again.cpt("WetGrass"))


def test_wrong_shape_names_the_node_and_shows_the_layout():
    net = grass()
    with pytest.raises(CPTError) as info:
        net.set_cpt("WetGrass", np.full((2, 2), 0.5))
    message = str(info.value)
    assert "CPT of 'WetGrass' has shape (2, 2), expected (2, 2, 2)" in message
    assert "card(Sprinkler)=2, card(Rain)=2, card(WetGrass)=2" in message
    assert "('on', 'yes'): {'true': p, 'false': p}" in message


def test_missing_parent_configuration_is_listed():
    net = grass()
    table = {("on", "yes"): [0.5, 0.5], ("on", "no"): [0.5, 0.5], ("off", "yes"): [0.5, 0.5]}
    with pytest.raises(
        CPTError,
        match=r"missing 1 parent configuration\(s\): "
        r"\(Sprinkler='off', Rain='no'\)",
    ):
        net.set_cpt("WetGrass", table)


def test_duplicate_configuration_is_refused():
    net = grass()
    table = {
        ("on", "yes"): [0.5, 0.5],
        "on": {"yes": [0.5, 0.5], "no": [0.5, 0.5]},
        ("off", "yes"): [0.5, 0.5],
        ("off", "no"): [0.5, 0.5],
    }
    with pytest.raises(CPTError, match=r"\(Sprinkler='on', Rain='yes'\) is given twice"):
        net.set_cpt("WetGrass", table)


def test_unknown_state_names_are_named():
    net = grass()
    table = {("on", "maybe"): [0.5, 0.5]}
    with pytest.raises(UnknownStateError, match="'Rain' has no state 'maybe'.*\\('yes', 'no'\\)"):
        net.set_cpt("WetGrass", table)
    row = {("on", "yes"): {"true": 0.5, "soggy": 0.5}}
    with pytest.raises(UnknownStateError, match="'WetGrass' has no state 'soggy'"):
        net.set_cpt("WetGrass", row)


def test_rows_must_be_distributions():
    net = grass()
    bad = WET.copy()
    bad[1, 0] = [0.9, 0.2]
    with pytest.raises(CPTError, match=r"row for \(Sprinkler='off', Rain='yes'\) sums to 1.1"):
        net.set_cpt("WetGrass", bad)
    bad = WET.copy()
    bad[0, 1] = [1.5, -0.5]
    with pytest.raises(CPTError, match="negative entry -0.5 at parent configuration"):
        net.set_cpt("WetGrass", bad)
    bad = WET.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(CPTError, match="non-finite"):
        net.set_cpt("WetGrass", bad)
    ok = WET.copy()
    ok[0, 0] = [0.99 + 5e-10, 0.01]  # within the 1e-9 tolerance
    net.set_cpt("WetGrass", ok)


def test_incomplete_rows_and_bad_nesting():
    net = grass()
    with pytest.raises(CPTError, match="no probability for states \\['false'\\]"):
        net.set_cpt("WetGrass", {("on", "yes"): {"true": 1.0}})
    with pytest.raises(CPTError, match="expected 2 probabilities"):
        net.set_cpt("WetGrass", {("on", "yes"): [1.0]})
    with pytest.raises(CPTError, match="expected a dict keyed by states of 'Rain'"):
        net.set_cpt("WetGrass", {"on": [0.5, 0.5]})
    with pytest.raises(CPTError, match="names more parent states"):
        net.set_cpt("WetGrass", {("on", "yes", "true"): [0.5, 0.5]})
    with pytest.raises(CPTError, match="cannot read str"):
        net.set_cpt("WetGrass", "0.5 0.5")


def test_printing_as_a_table():
    text = str(sprinkler().cpt("WetGrass"))
    lines = text.splitlines()
    assert lines[0] == "P(WetGrass | Sprinkler, Rain)"
    assert lines[1].split() == ["Sprinkler", "Rain", "|", "true", "false"]
    assert lines[2].split() == ["true", "true", "|", "0.99", "0.01"]
    assert len(lines) == 6
    assert repr(sprinkler().cpt("Rain")) == "CPT(P(Rain | Cloudy), shape=(2, 2))"
    assert isinstance(sprinkler().cpt("Rain"), CPT)


def test_missing_cpt_is_reported():
    net = grass()
    with pytest.raises(CPTError, match="node 'WetGrass' has no CPT yet"):
        net.cpt("WetGrass")
