"""Reference tools of the viz tests (Graphviz's ``dot``, Chromium): skipped only when absent, and
never under CI, which installs them."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_program(name: str, why: str) -> str:
    """The path of program ``name``; skip the test when it is missing, fail in CI."""
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed, and CI must run {why}")
        pytest.skip(f"{name} is not installed: {why} needs it")
    return path
