"""Fixtures of the demo tests: one BLAS thread, and a way to hide matplotlib."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Run the demos with one BLAS thread, as ``nnblocks`` CLI does by default: their matrices
    are small, and on a shared 2-core machine several BLAS threads per process slow them down
    many times over. Without threadpoolctl (installed with scikit-learn) nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Make ``import matplotlib`` (and its submodules used by the demos) fail."""
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)


def assert_png(path: str | None, expected) -> None:
    """``path`` is ``expected`` (a Path) and holds a PNG when matplotlib is installed, else
    None."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        assert path is None
    else:
        assert path == str(expected)
        assert expected.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
