"""BLAS's thread count is changed only in scoped sections, restored on exit, one at a time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from nnblocks.kernels import threads


@pytest.fixture
def two_threads():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


def test_a_parallel_section_restores_blas_also_after_an_error(two_threads) -> None:
    with threads.blas_threads(2):
        seen = []
        threads.run(lambda i: seen.append(threads.blas_num_threads()), 4)
        assert seen and all(counts == [1] * len(counts) for counts in seen)   # 1 inside
        assert set(threads.blas_num_threads()) == {2}                          # restored

        def fail(i: int) -> None:
            raise KeyError(i)

        with pytest.raises(KeyError):
            threads.run(fail, 4)
        assert set(threads.blas_num_threads()) == {2}
    with threads.BlasLimit(1) as limit:
        assert set(threads.blas_num_threads()) == {1}
    limit.restore()                                                       # idempotent


class _FakeBlas:
    """Stands for a BLAS library: its thread count, and every change made to it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.changes: list[int] = []

    def get_num_threads(self) -> int:
        return self.n

    def set_num_threads(self, n: int) -> None:
        self.n = n
        self.changes.append(n)


def test_scoped_changes_in_two_threads_never_interleave(two_threads, monkeypatch) -> None:
    """While one thread is inside ``blas_threads(3)``, a parallel section started by another
    thread waits (it would set 1 under the first one's feet); afterwards it runs, and each
    restores what it found."""
    fake = _FakeBlas(4)
    monkeypatch.setitem(threads._pool, "blas", [fake])
    done = threading.Event()

    def section() -> None:
        threads.run(lambda i: None, 2)
        done.set()

    other = threading.Thread(target=section)
    with threads.blas_threads(3):
        other.start()
        assert not done.wait(0.2), "a section changed BLAS inside another thread's scope"
        assert fake.n == 3
    other.join()
    assert done.is_set() and fake.n == 4
    assert fake.changes == [3, 4, 1, 4]             # ours, restored; then the section's


def test_real_blas_is_unchanged_after_sections_in_two_threads(two_threads) -> None:
    original = threads.blas_num_threads()
    workers = [threading.Thread(target=lambda: [threads.run(lambda i: time.sleep(0.001), 2)
                                                for _ in range(20)]) for _ in range(2)]
    for worker in workers:
        worker.start()
    for _ in range(20):
        with threads.blas_threads(3):
            assert set(threads.blas_num_threads()) == {3}
    for worker in workers:
        worker.join()
    assert threads.blas_num_threads() == original
    a = np.ones((64, 64), dtype=np.float32)
    np.testing.assert_array_equal(a @ a, np.full((64, 64), 64.0, dtype=np.float32))
