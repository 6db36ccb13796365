"""Helpers for comparing the compiled path (numba) with the NumPy reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nnblocks.kernels as K
from nnblocks.kernels import threads


@pytest.fixture(autouse=True)
def _needs_numba() -> None:
    """Every test here compares the compiled path with NumPy: skip without numba."""
    pytest.importorskip("numba")


def both_paths(fn: Callable[[], Any]) -> tuple[Any, Any]:
    """``(compiled, reference)``: ``fn()`` with numba switched on, then off."""
    previous = K.use_numba(True)
    try:
        compiled = fn()
        K.use_numba(False)
        reference = fn()
    finally:
        K.use_numba(previous)
    return compiled, reference


def with_threads(n: int, fn: Callable[[], Any]) -> Any:
    """``fn()`` with the compiled path's thread count set to ``n``."""
    before = threads.get_num_threads()
    threads.set_num_threads(n)
    try:
        return fn()
    finally:
        threads.set_num_threads(before)
