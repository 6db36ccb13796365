"""Shared test fixtures: per-test seeded generators and the PyTorch reference."""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id, so every test is reproducible on its own."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def import_torch():
    """Import PyTorch for a parity test; skip when absent, except in CI where it must exist."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        import torch  # CI must have the reference implementation: fail loudly

        return torch
    return pytest.importorskip("torch")


@pytest.fixture
def torch():
    """The PyTorch module (float64 default), for parity tests."""
    return import_torch()
