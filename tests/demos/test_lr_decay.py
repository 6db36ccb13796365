"""``lr-decay``: constant-rate minibatch SGD plateaus at a noise floor; the Robbins–Monro decay
converges well below it."""

from __future__ import annotations

from nnblocks.demos import lr_decay
from tests.demos.conftest import assert_png


def test_decay_converges_constant_plateaus(tmp_path, rng):
    results = lr_decay.run(tmp_path, rng=rng, steps=2000, repeats=2)
    constant, inverse, square = (results[k] for k in ("constant", "inverse", "inverse_square"))
    floor = results["noise_floor"]
    assert inverse["robbins_monro"] and not constant["robbins_monro"]
    assert not square["robbins_monro"]
    # the decaying rate ends far below the noise floor ...
    assert inverse["final_error"] < 0.1 * floor
    # ... the constant rate stays at it: no progress from the middle to the end
    assert constant["final_error"] > 0.5 * floor
    assert constant["final_error"] > 0.4 * constant["midway_error"]
    # sum of rates finite: stops short, above the decaying rate's error
    assert square["final_error"] > 10 * inverse["final_error"]
    # full-batch gradient descent needs no decay
    assert results["full_batch_final"] < 1e-10
    assert_png(results["figure"], tmp_path / "lr_decay.png")
