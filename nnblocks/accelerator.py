"""``nb.accelerator``: PyTorch's device-agnostic accelerator queries, for a CPU-only library."""

from __future__ import annotations


def is_available() -> bool:
    """Always False: nnblocks has no accelerator."""
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: no accelerator (as PyTorch returns on a CPU-only machine)."""
    return None


def device_count() -> int:
    """Always 0."""
    return 0
