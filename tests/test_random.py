"""Determinism: nnblocks' one default generator, and no NumPy global random state anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import _random

ROOT = Path(nb.__file__).parent


@pytest.fixture(autouse=True)
def _keep_default_generator():
    """Tests here reseed the library's generator; put the caller's back afterwards."""
    saved = _random._default_rng
    yield
    _random._default_rng = saved


def test_manual_seed_reproduces_draws():
    nb.manual_seed(123)
    first = nb.default_rng().standard_normal(5)
    nb.manual_seed(123)
    np.testing.assert_array_equal(nb.default_rng().standard_normal(5), first)
    nb.manual_seed(124)
    assert not np.array_equal(nb.default_rng().standard_normal(5), first)


def test_manual_seed_matches_numpy_default_rng_and_returns_it():
    g = nb.manual_seed(7)
    assert g is nb.default_rng() is _random.get_rng(None)
    np.testing.assert_array_equal(g.random(3), np.random.default_rng(7).random(3))


def test_manual_seed_accepts_numpy_integers():
    nb.manual_seed(np.int64(5))
    assert nb.default_rng().random() == np.random.default_rng(5).random()


@pytest.mark.parametrize("seed", [1.5, "3", True, None])
def test_manual_seed_rejects_non_integers(seed):
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        nb.manual_seed(seed)


def test_get_rng_passes_an_explicit_generator_through():
    g = np.random.default_rng(0)
    assert _random.get_rng(g) is g


def test_get_rng_rejects_legacy_random_state():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or None, got "
                                        "RandomState"):
        _random.get_rng(np.random.RandomState(0))


def test_library_randomness_follows_manual_seed():
    """gradcheck's random directions come from the default generator when rng is None."""
    x = nb.tensor(np.ones((21, 21)), requires_grad=True)

    def next_draw_after_gradcheck() -> float:
        nb.manual_seed(11)
        nb.testing.gradcheck(lambda t: t * 2.0, [x])
        return nb.default_rng().random()

    value = next_draw_after_gradcheck()
    assert value == next_draw_after_gradcheck()
    assert value != np.random.default_rng(11).random()      # gradcheck drew from it


# ---------------------------------------------------------------------- no global RNG in source
#: attributes of numpy.random library code may use: generators, bit generators and seed
#: sequences, which are deterministic when given a seed (calls without arguments are flagged)
SEEDED = {"default_rng", "SeedSequence", "PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"}
ALLOWED_NP_RANDOM = {"Generator", "BitGenerator"} | SEEDED


def _np_random_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every use of numpy.random other than seeded generators, and every
    import of Python's ``random`` module."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            inner = node.value
            if (inner.attr == "random" and isinstance(inner.value, ast.Name)
                    and inner.value.id in ("np", "numpy")
                    and node.attr not in ALLOWED_NP_RANDOM):
                uses.append((node.lineno, f"np.random.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy.random":
            names = {a.name for a in node.names} - ALLOWED_NP_RANDOM
            if names:
                uses.append((node.lineno, f"from numpy.random import {sorted(names)}"))
        elif isinstance(node, ast.Import):
            if any(a.name == "random" for a in node.names):
                uses.append((node.lineno, "import random (Python's global generator)"))
        elif isinstance(node, ast.ImportFrom) and node.module == "random":
            uses.append((node.lineno, "from random import ... (Python's global generator)"))
        elif (isinstance(node, ast.Call) and not node.args and not node.keywords
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in SEEDED):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            uses.append((node.lineno, f"{name}() without a seed"))
    return uses


FILES = [p for p in sorted(ROOT.rglob("*.py")) if p.name != "_random.py"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_no_global_random_state_in_library_code(path):
    uses = _np_random_uses(ast.parse(path.read_text(), filename=str(path)))
    assert not uses, "; ".join(f"{path.name}:{line}: {what}" for line, what in uses)


def test_the_source_check_catches_global_state():
    source = ("import numpy as np\nimport random\n"
              "a = np.random.rand(3)\nnp.random.seed(0)\nb = np.random.default_rng()\n"
              "c = np.random.default_rng(0)\nd: np.random.Generator\n"
              "e = np.random.SeedSequence(1).spawn(2)\nf = np.random.SeedSequence()\n")
    found = [what for _, what in _np_random_uses(ast.parse(source))]
    assert found.count("np.random.rand") == 1 and "np.random.seed" in found
    assert "default_rng() without a seed" in found
    assert any("import random" in w for w in found)
    assert "SeedSequence() without a seed" in found
    assert len(found) == 5
