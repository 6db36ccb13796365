"""``bptt``: ||dL/dh(T-k)|| vanishes geometrically for small recurrent weights, explodes for
large ones; clipping bounds the update norm."""

from __future__ import annotations

import numpy as np

from nnblocks.demos import bptt
from tests.demos.conftest import assert_png


def test_vanishing_exploding_and_clipping(tmp_path, rng):
    results = bptt.run(tmp_path, rng=rng, scales=(0.5, 3.0), length=30, train_steps_count=8)
    small = np.array(results["norms"]["0.5"])
    large = np.array(results["norms"]["3.0"])
    k = np.arange(31)
    assert small[0] == 1.0 and np.all(np.diff(small) < 0)
    # each Jacobian diag(tanh') W has norm <= ||W|| = 0.5: a geometric bound, not just a trend
    assert np.all(small <= 0.5 ** k * (1 + 1e-9))
    assert results["rate"]["0.5"] < 0.6
    assert results["rate"]["3.0"] > 1.1 and large[-1] > 100.0
    assert results["fused_max_relative_diff"] < 1e-8
    bound = results["lr"] * results["max_norm"]
    assert max(results["clipped"]["update_norm"]) <= bound * (1 + 1e-6)
    assert max(results["unclipped"]["update_norm"]) > 100 * bound
    assert max(results["clipped"]["grad_norm"]) > 100 * results["max_norm"]   # it did clip
    assert_png(results["figure"], tmp_path / "bptt.png")
