"""The PyTorch reference may be skipped locally but never in CI (``CI=true``): there a missing
torch must fail the parity tests loudly instead of turning them into skips."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import import_torch


@pytest.fixture
def torch_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import torch`` fail as if torch were not installed (None in sys.modules)."""
    monkeypatch.setitem(sys.modules, "torch", None)


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes"])
def test_ci_fails_loudly_without_torch(torch_missing, monkeypatch, value) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(ImportError):
        import_torch()


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_outside_ci_a_missing_torch_skips(torch_missing, monkeypatch, value) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        import_torch()


def test_ci_with_torch_returns_the_module(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    torch = import_torch()
    assert torch.__name__ == "torch" and hasattr(torch, "from_numpy")
