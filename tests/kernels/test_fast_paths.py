"""NumPy fast paths added for speed give the general path's results bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.functional import loss
from nnblocks.functional.linear import LinearBlock


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_plain_cross_entropy_equals_the_general_path(dtype, reduction, rng, monkeypatch) -> None:
    x = (rng.standard_normal((33, 7)) * 4).astype(dtype)
    target = rng.integers(0, 7, 33)
    gy = np.ones(33, dtype) if reduction == "none" else np.asarray(0.5, dtype)

    def run():
        y, saved = loss.CrossEntropyBlock.forward(x, target, reduction=reduction)
        return y, loss.CrossEntropyBlock.backward(saved, gy)[0]

    assert loss._plain_classes(x, target, None, 0.0, -100)
    fast = run()
    monkeypatch.setattr(loss, "_plain_classes", lambda *args: False)
    general = run()
    for a, b in zip(fast, general):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_plain_path_is_not_taken_when_it_does_not_apply(rng) -> None:
    x = rng.standard_normal((4, 3)).astype(np.float32)
    plain = loss._plain_classes
    assert not plain(x, np.array([0, 1, 2, -100]), None, 0.0, -100)   # ignored
    assert not plain(x, np.array([0, 1, 2, 1]), None, 0.0, 2)         # ignored
    assert plain(x, np.array([0, 1, 0, 1]), None, 0.0, 2)             # 2 does not occur
    assert not plain(x, np.array([0, 1, 2, 3]), None, 0.0, -100)      # out of range
    assert not plain(x, np.array([0, 1, 2, 1]), np.ones(3), 0.0, -100)
    assert not plain(x, np.array([0, 1, 2, 1]), None, 0.1, -100)
    assert not plain(x, x, None, 0.0, -100)                           # probabilities


def test_linear_skips_the_gradients_not_needed(rng) -> None:
    x = rng.standard_normal((5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    y, saved = LinearBlock.forward(x, w, b)
    gy = np.ones_like(y)
    full = LinearBlock.backward(saved, gy)
    first_layer = LinearBlock.backward(saved, gy, (False, True, True))
    assert first_layer[0] is None
    np.testing.assert_array_equal(first_layer[1], full[1])
    np.testing.assert_array_equal(first_layer[2], full[2])
