"""``nb.cuda``: the CUDA queries PyTorch programs make, answered for a CPU-only library.

``is_available()`` is False and ``device_count()`` 0, so the usual device-selection line
``device = "cuda" if nb.cuda.is_available() else "cpu"`` picks the CPU. Seeding calls
(``manual_seed``, ``manual_seed_all``) do nothing: there is no CUDA generator to seed.
"""

from __future__ import annotations


def is_available() -> bool:
    """Always False: nnblocks runs on the CPU."""
    return False


def device_count() -> int:
    """Always 0."""
    return 0


def manual_seed(seed: int) -> None:
    """No CUDA generator exists; seed nnblocks' generator with ``nb.manual_seed``."""


def manual_seed_all(seed: int) -> None:
    """No CUDA generator exists; seed nnblocks' generator with ``nb.manual_seed``."""
