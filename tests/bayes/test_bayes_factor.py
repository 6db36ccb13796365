"""Factor operations against explicit loops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnblocks.bayes import BayesNetError, Factor, UnknownNodeError, UnknownStateError, multiply


def random_factor(rng: np.random.Generator, variables: str, cards: dict[str, int]) -> Factor:
    return Factor(list(variables), rng.random([cards[v] for v in variables]))


CARDS = {"A": 2, "B": 3, "C": 4, "D": 2}


def test_product_matches_a_loop(rng):
    f = random_factor(rng, "AB", CARDS)
    g = random_factor(rng, "CBD", CARDS)
    h = f * g
    assert h.variables == ("A", "B", "C", "D")
    for a, b, c, d in itertools.product(*(range(CARDS[v]) for v in "ABCD")):
        expected = f.values[a, b] * g.values[c, b, d]
        assert h.values[a, b, c, d] == pytest.approx(expected, rel=1e-14)


def test_multiply_many_and_sum_out_in_one_call(rng):
    factors = [random_factor(rng, s, CARDS) for s in ("AB", "BC", "CD", "DA", "B")]
    full = factors[0]
    for f in factors[1:]:
        full = full * f
    reduced = multiply(factors, keep=("C", "A"))
    expected = full.marginalize(["B", "D"]).permute(["C", "A"])
    np.testing.assert_allclose(reduced.values, expected.values, rtol=1e-13)


def test_more_factors_than_einsum_operands(rng):
    factors = [Factor(["A"], rng.random(2) + 0.5) for _ in range(70)]
    product = multiply(factors)
    np.testing.assert_allclose(product.values, np.prod([f.values for f in factors], axis=0))


def test_marginalize_maximize_reduce_normalize(rng):
    f = random_factor(rng, "ABC", CARDS)
    np.testing.assert_allclose(f.marginalize("B").values, f.values.sum(axis=1))
    np.testing.assert_allclose(f.marginalize(["A", "C"]).values, f.values.sum(axis=(0, 2)))
    np.testing.assert_array_equal(f.maximize(["C"]).values, f.values.max(axis=2))
    r = f.reduce({"B": 2, "Z": 0})  # evidence on variables outside the factor is ignored
    assert r.variables == ("A", "C")
    np.testing.assert_array_equal(r.values, f.values[:, 2, :])
    n = f.normalize()
    assert n.values.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(n.values * f.values.sum(), f.values, rtol=1e-14)
    scalar = f.marginalize(list("ABC"))
    assert scalar.variables == () and float(scalar.values) == pytest.approx(f.values.sum())


def test_state_names_flow_through_operations():
    f = Factor(["Rain", "Wet"], [[0.9, 0.1], [0.2, 0.8]], {"Rain": ["y", "n"], "Wet": ["t", "f"]})
    assert f.reduce({"Wet": "f"}).to_dict() == {"y": 0.1, "n": 0.8}
    assert f.value({"Rain": "n", "Wet": "t"}) == 0.2
    assert f.to_dict()[("y", "f")] == 0.1
    g = Factor(["Wet"], [0.5, 0.5], {"Wet": ["t", "f"]})
    assert (f * g).states["Rain"] == ("y", "n")
    text = str(f)
    assert text.splitlines()[0].split() == ["Rain", "Wet", "phi"]
    assert "0.9" in text


def test_errors_are_explicit():
    with pytest.raises(BayesNetError, match="distinct"):
        Factor(["A", "A"], np.ones((2, 2)))
    with pytest.raises(BayesNetError, match="must have 2 axes"):
        Factor(["A", "B"], np.ones(2))
    with pytest.raises(BayesNetError, match="3 entries on axis 0 but 2 state names"):
        Factor(["A"], np.ones(3), {"A": ["x", "y"]})
    f = Factor(["A"], [0.0, 0.0])
    with pytest.raises(BayesNetError, match="total mass is 0.0"):
        f.normalize()
    with pytest.raises(UnknownNodeError, match="\\['Z'\\] not in the factor's variables"):
        f.marginalize("Z")
    with pytest.raises(UnknownStateError, match="'A' has no state 'q'"):
        f.reduce({"A": "q"})
    with pytest.raises(BayesNetError, match="has 2 states in one factor and 3 in another"):
        Factor(["A"], np.ones(2)) * Factor(["A"], np.ones(3))
    with pytest.raises(BayesNetError, match="not a permutation"):
        Factor(["A", "B"], np.ones((2, 2))).permute(["A", "C"])
