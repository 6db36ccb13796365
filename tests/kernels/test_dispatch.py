"""One switch per block (nnblocks.kernels.dispatch): forward decides, backward follows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.kernels as K
from nnblocks.kernels.dispatch import Twin, use_compiled

ROOT = Path(nb.__file__).parent


def test_blocks_and_optimizers_never_read_the_switch_themselves() -> None:
    for folder in ("functional", "optim"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "numba_enabled" not in path.read_text(), f"{path}: use dispatch.use_compiled"


def test_use_compiled_needs_the_switch_a_twin_and_supported_arrays() -> None:
    class Owner:
        compiled_twin = Twin(lambda x: x.dtype == np.float32)

    x32, x64 = np.zeros(2, np.float32), np.zeros(2)
    previous = K.use_numba(True)
    try:
        assert use_compiled(Owner, x32) and not use_compiled(Owner, x64)
        assert not use_compiled(object(), x32)                # no twin declared
        K.use_numba(False)
        assert not use_compiled(Owner, x32)
    finally:
        K.use_numba(previous)


def _step(fn, inputs, flip_after_forward: bool):
    """Forward on the compiled path; backward after switching it off (or not)."""
    tensors = [nb.tensor(a, requires_grad=True) for a in inputs]
    previous = K.use_numba(True)
    try:
        y = fn(*tensors)
        if flip_after_forward:
            K.use_numba(False)
        (y * nb.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(y.dtype))).sum() \
            .backward()
    finally:
        K.use_numba(previous)
    return [y.array] + [t.grad for t in tensors]


@pytest.mark.parametrize("name", ["conv2d", "linear", "relu", "batch_norm", "max_pool2d"])
def test_backward_follows_the_path_its_forward_took(name, rng) -> None:
    x4 = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    cases = {
        "conv2d": (F.conv2d, [x4, rng.standard_normal((5, 3, 3, 3)).astype(np.float32)]),
        "linear": (F.linear, [rng.standard_normal((64, 300)).astype(np.float32),
                              rng.standard_normal((200, 300)).astype(np.float32)]),
        "relu": (F.relu, [x4]),
        "batch_norm": (lambda x: F.batch_norm(x, None, None, training=True), [x4]),
        "max_pool2d": (lambda x: F.max_pool2d(x, 2), [x4]),
    }
    fn, inputs = cases[name]
    same = _step(fn, inputs, flip_after_forward=False)
    flipped = _step(fn, inputs, flip_after_forward=True)
    for a, b in zip(same, flipped):
        np.testing.assert_array_equal(a, b)
