"""Same inputs, thread count and settings give the same bits, whatever the timing.

Linear, Conv2d (+ BatchNorm, ReLU, max pooling) forward and backward and an Adam step, on the
compiled path with two threads (where a timing-dependent branch would show), are run once
undisturbed, then with sleeps between the calls (a parallel section that ran long ago or just
now) and under CPU load from another process and from a NumPy thread, and compared bit for
bit. What is and is not bit-exact across thread counts and numba on/off: ARCHITECTURE.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.kernels as K
from nnblocks import nn
from nnblocks.kernels import threads


def _pause(delays: list[float] | None) -> None:
    if delays:
        time.sleep(delays.pop(0))


def _steps(delays: list[float] | None = None) -> list[np.ndarray]:
    """Three training steps of a Linear and a small CNN; the parameters and gradients after."""
    rng = np.random.default_rng(0)
    linear = nn.Linear(784, 256, rng=rng)        # 128 x 784 x 256: split among the threads
    conv = nn.Conv2d(3, 8, 3, padding=1, rng=rng)
    norm = nn.BatchNorm2d(8)
    params = [*linear.parameters(), *conv.parameters(), *norm.parameters()]
    opt = nb.optim.Adam(params, lr=1e-3)
    x1 = nb.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    x2 = nb.tensor(rng.standard_normal((16, 3, 16, 16)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        _pause(delays)
        h = F.relu(linear(x1))
        _pause(delays)
        y = F.max_pool2d(F.relu(norm(conv(x2))), 2)
        _pause(delays)
        loss = (h * h).mean() + (y * y).mean()
        loss.backward()
        _pause(delays)
        opt.step()
    return [p.array.copy() for p in params] + [p.grad.array.copy() for p in params]


def _assert_same_bits(a: list[np.ndarray], b: list[np.ndarray], what: str) -> None:
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), f"{what}: array {i} differs"


@pytest.fixture
def compiled_two_threads():
    if not K.have_numba():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise RuntimeError("CI must test the compiled path: numba is not installed")
        pytest.skip("numba is not installed")
    previous, count = K.use_numba(True), threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(count)
    K.use_numba(previous)


def test_same_bits_whatever_the_timing_and_the_load(compiled_two_threads) -> None:
    reference = _steps()
    _assert_same_bits(reference, _steps(), "a second run")
    delays = [0.0, 0.05, 0.001, 0.02, 0.0, 0.1, 0.003, 0.0, 0.03, 0.0, 0.06, 0.002]
    _assert_same_bits(reference, _steps(list(delays)), "with sleeps between the calls")
    stop = threading.Event()

    def numpy_load() -> None:                          # GEMMs that release the GIL
        a = np.ones((256, 256))
        while not stop.is_set():
            a @ a

    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    loader = threading.Thread(target=numpy_load, daemon=True)
    loader.start()
    try:
        for _ in range(2):
            _assert_same_bits(reference, _steps(), "under CPU load")
        _assert_same_bits(reference, _steps(list(reversed(delays))), "load and sleeps")
    finally:
        stop.set()
        burner.kill()
        burner.wait()
        loader.join()


def test_the_compiled_path_gives_the_same_bits_on_one_and_two_threads(compiled_two_threads):
    """Work is cut into the same items whatever the thread count and summed in item order;
    BLAS at one thread so that its own threading cannot round differently."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        two = _steps()
        threads.set_num_threads(1)
        one = _steps()
    _assert_same_bits(two, one, "1 vs 2 threads")
