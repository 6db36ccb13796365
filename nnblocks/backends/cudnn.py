"""``nb.backends.cudnn``: settable flags with no effect (nnblocks has no cuDNN)."""

from __future__ import annotations

#: accepted and ignored, as scripts set them for reproducibility / speed on GPUs
deterministic = False
benchmark = False
enabled = False


def is_available() -> bool:
    """Always False."""
    return False
