"""``nb.backends.mps``: Apple's Metal backend is never available in nnblocks."""

from __future__ import annotations


def is_available() -> bool:
    """Always False."""
    return False


def is_built() -> bool:
    """Always False."""
    return False
