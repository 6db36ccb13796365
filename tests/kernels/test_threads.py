"""The thread pool: every item runs once, errors reach the caller, BLAS threads are restored,
scratch buffers are reused, and the switches work."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nnblocks.kernels as K
from nnblocks.kernels import threads
from tests.kernels.conftest import with_threads


@pytest.mark.parametrize("n_threads, items", [(1, 5), (2, 5), (3, 2), (2, 0)])
def test_run_calls_every_item_once(n_threads, items) -> None:
    seen = []
    with_threads(n_threads, lambda: threads.run(seen.append, items))
    assert sorted(seen) == list(range(items))


def test_errors_reach_the_caller_and_blas_is_restored() -> None:
    blas = threads._blas_controller()
    before = [lib.get_num_threads() for lib in blas]

    def task(i):
        if i == 1:
            raise ValueError("item 1 failed")

    with pytest.raises(ValueError, match="item 1 failed"):
        with_threads(2, lambda: threads.run(task, 4))
    assert [lib.get_num_threads() for lib in blas] == before
    seen = []
    with_threads(2, lambda: threads.run(seen.append, 3))       # the pool still works
    assert sorted(seen) == [0, 1, 2]


@pytest.mark.parametrize("shape", [(300, 200, 150), (128, 784, 256), (7, 3, 5)])
def test_matmul_equals_single_threaded_numpy_bit_for_bit(shape, rng) -> None:
    """Rows shared among nnblocks' threads (BLAS at one thread each) give the single-threaded
    GEMM's bits, whatever the thread count or what ran before (no timing-dependent branch).
    With one thread it is one np.matmul under BLAS's own setting (the CLI's ``--threads N``
    sets both to N)."""
    from threadpoolctl import threadpool_limits

    m, k, n = shape
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    with threadpool_limits(1, user_api="blas"):
        reference = a @ b
        single = with_threads(1, lambda: threads.matmul(a, b))   # one np.matmul, BLAS's setting
    np.testing.assert_array_equal(single, reference)
    for count in (2, 3):
        out = with_threads(count, lambda: threads.matmul(a, b))
        np.testing.assert_array_equal(out, reference)
    threads.run(lambda i: None, 4)                 # a kernel section just ran: same bits
    np.testing.assert_array_equal(with_threads(2, lambda: threads.matmul(a, b)), reference)


def test_workspace_is_reused_and_zeroed_per_tag() -> None:
    a = threads.workspace("test", 10, np.float32, zero_tag="x")
    assert not a.any()
    a[:] = 1
    assert threads.workspace("test", 10, np.float32, zero_tag="x") is not None
    assert threads.workspace("test", 10, np.float32, zero_tag="x").all()   # kept
    assert not threads.workspace("test", 8, np.float32, zero_tag="y").any()  # new tag
    assert threads.workspace("test", 4, np.float64).size == 4


def test_set_num_threads_checks_its_argument() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive int"):
            threads.set_num_threads(bad)


def test_switches_in_a_fresh_process() -> None:
    code = ("import nnblocks.kernels as K, nnblocks.kernels.threads as T; "
            "print(K.numba_enabled(), T.get_num_threads())")
    env = dict(os.environ, NNBLOCKS_DISABLE_NUMBA="1", NNBLOCKS_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "3"]
    env["NNBLOCKS_NUM_THREADS"] = "zero"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "NNBLOCKS_NUM_THREADS must be a positive int" in bad.stderr


def test_use_numba_returns_the_previous_setting() -> None:
    previous = K.use_numba(False)
    try:
        assert not K.numba_enabled()
        assert K.use_numba(True) is False
        assert K.numba_enabled() == K.have_numba()
    finally:
        K.use_numba(previous)


def test_everything_works_without_numba() -> None:
    """With numba unimportable, the NumPy path runs (a conv/pool/BN/Adam step, in a fresh
    process where ``import numba`` fails)."""
    code = """
import sys
class NoNumba:
    def find_spec(self, name, path=None, target=None):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("numba is blocked for this test")
sys.meta_path.insert(0, NoNumba())
import numpy as np
import nnblocks as nb
import nnblocks.kernels as K
nn = nb.nn
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(16, 4, 3), nn.Flatten(), nn.Linear(16, 3))
opt = nb.optim.Adam(model.parameters())
x = nb.tensor(np.random.default_rng(0).standard_normal((8, 1, 8, 8)).astype(np.float32))
loss = nn.CrossEntropyLoss()(model(x), nb.tensor(np.arange(8) % 3))
loss.backward()
opt.step()
print(K.have_numba(), K.numba_enabled(), "numba" in sys.modules, loss.dtype)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "False", "float32"]


def test_import_changes_no_process_wide_setting() -> None:
    """Importing nnblocks tunes no allocator (heap padding is opt-in: the CLI, fit and
    ``NNBLOCKS_MALLOC_TOP_PAD`` ask for it) and leaves BLAS's thread count alone."""
    code = """
import ctypes
calls = []
real = ctypes.CDLL
class Spy:
    def __init__(self, *a, **k):
        self._lib = real(*a, **k)
    def __getattr__(self, name):
        calls.append(name)
        return getattr(self._lib, name)
ctypes.CDLL = Spy
import numpy
from threadpoolctl import threadpool_info
before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
import nnblocks, nnblocks.kernels, nnblocks.nn, nnblocks.train
after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
print("mallopt" in calls, before == after)
nnblocks.kernels.pad_heap()
print("mallopt" in calls)
"""
    env = {k: v for k, v in os.environ.items() if k != "NNBLOCKS_MALLOC_TOP_PAD"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "True"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_pad_heap_keeps_activation_sized_blocks_in_the_heap() -> None:
    """After :func:`pad_heap` a 16 MiB array (a VGG activation at batch 128) comes from the
    heap, whatever the imports did to glibc's dynamic threshold, so freeing it and allocating
    it again reuses the same pages instead of mapping fresh ones (8,000 faults per VGG step)."""
    code = """
import ctypes, sys
import numpy as np
import nnblocks.kernels as K
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    print("skip"); sys.exit()
libc.mallinfo2.restype = Info
print(K.pad_heap())
before = libc.mallinfo2().hblkhd
a = np.ones(4 << 20, dtype=np.float32)             # 16 MiB
print(libc.mallinfo2().hblkhd - before < (1 << 20))
"""
    env = {k: v for k, v in os.environ.items() if k != "NNBLOCKS_MALLOC_TOP_PAD"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    if out == ["skip"]:
        pytest.skip("glibc without mallinfo2")
    assert out == ["True", "True"]


def test_a_single_gemm_item_runs_blas_at_one_thread() -> None:
    """One item of a GEMM section (a batch-1 convolution) stays in the calling thread with BLAS
    at one thread when the pool has more; BLAS's setting is restored; with one thread
    configured, or without ``gemm``, BLAS is left alone."""
    before = threads.blas_num_threads()
    seen = []

    def task(i):
        seen.append((i, threads.blas_num_threads()))

    with_threads(2, lambda: threads.run(task, 1, gemm=True))
    with_threads(2, lambda: threads.run(task, 1))
    with_threads(1, lambda: threads.run(task, 1, gemm=True))
    assert seen == [(0, [1] * len(before)), (0, before), (0, before)]
    assert threads.blas_num_threads() == before


def test_blas_count_is_changed_only_around_products_openblas_would_split(rng) -> None:
    """A recurrent network's own GEMMs run on BLAS's threads; a small head between them must
    not change BLAS's thread count (its next GEMM would have to wake BLAS's threads)."""
    assert not threads.blas_would_split(32, 128, 10)               # tanh RNN's head
    assert threads.blas_would_split(64 * 128 * 8, 8, 1)            # MobileNet's global pooling
    assert threads.blas_would_split(1, 4096, 10)                   # batch-1 GEMV
    assert not threads.blas_would_split(1, 64, 10)
    calls = []
    real = threads.blas_single

    def spy(fn, *args):
        calls.append(args[0].shape)
        return real(fn, *args)

    a, b = rng.standard_normal((32, 128)), rng.standard_normal((128, 10))
    c = rng.standard_normal((4096, 8))
    try:
        threads.blas_single = spy
        with_threads(2, lambda: threads.matmul(a, b))
        with_threads(2, lambda: threads.matmul(c, b[:8]))
    finally:
        threads.blas_single = real
    assert calls == [(4096, 8)]
