"""``pooling-invariance``: after a one-pixel shift, most detector outputs change, many max-pooled
outputs do not (Goodfellow et al. Fig. 9.8)."""

from __future__ import annotations

import numpy as np

from nnblocks.demos import pooling_invariance as pi
from tests.demos.conftest import assert_png


def test_pooled_outputs_are_markedly_more_often_unchanged(tmp_path, rng):
    results = pi.run(tmp_path, rng=rng, image="noise", widths=(2, 3, 5))
    assert results["detector_active"] < 0.01               # every active detector unit changes
    assert results["detector"] < 0.4                        # most detector outputs change
    pooled = dict(zip(results["widths"], results["pooled"]))
    active = dict(zip(results["widths"], results["pooled_active"]))
    assert pooled[3] > results["detector"] + 0.15           # markedly more unchanged
    assert abs(active[3] - 0.5) < 0.08                      # the book's "only half changed"
    assert active[2] < active[3] < active[5]                # wider pooling, more invariance
    assert_png(results["figure"], tmp_path / "pooling_invariance.png")


def test_shift_right_moves_columns():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    shifted = pi.shift_right(x)
    np.testing.assert_array_equal(shifted[..., 1:], x[..., :-1])
    assert np.all(shifted[..., 0] == 0.0)
