"""Checked size arguments of layer constructors (feature counts, channels, groups).

PyTorch refuses a float size with a ``TypeError`` and a negative one with an error; we say which
layer and which argument, and never truncate ``2.5`` to ``2`` silently.

>>> size_argument("Linear", "in_features", 3)
3
>>> size_argument("Linear", "in_features", 2.5)
Traceback (most recent call last):
...
TypeError: Linear: in_features must be an integer, got 2.5 (float)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def size_argument(owner: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int when it is an integer (not a bool) of at least ``minimum``.

    ``TypeError`` for a non-integer, ``ValueError`` below ``minimum`` (0 where PyTorch allows
    empty layers, as ``Linear(0, 3)``; 1 where it does not).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        expected = {0: "non-negative", 1: "greater than zero"}.get(minimum, f">= {minimum}")
        raise ValueError(f"{owner}: {name} must be {expected}, got {int(value)}")
    return int(value)
