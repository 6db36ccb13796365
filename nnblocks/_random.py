"""nnblocks' one default random generator.

Library code never touches NumPy's global ``np.random`` state. Every function that draws random
numbers takes an optional ``rng`` (a :class:`numpy.random.Generator`); when it is ``None`` the
library's default generator below is used, and :func:`manual_seed` reseeds it.
"""

from __future__ import annotations

import numpy as np

_default_rng: np.random.Generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed nnblocks' default generator (like ``torch.manual_seed``) and return it.

    >>> import nnblocks as nb
    >>> g = nb.manual_seed(0)
    >>> float(nb.default_rng().random()) == float(np.random.default_rng(0).random())
    True
    """
    global _default_rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _default_rng = np.random.default_rng(int(seed))
    return _default_rng


def default_rng() -> np.random.Generator:
    """The generator used when a function is given ``rng=None``."""
    return _default_rng


def get_rng(rng: np.random.Generator | None) -> np.random.Generator:
    """Return ``rng`` itself, or the default generator when it is ``None``."""
    if rng is None:
        return _default_rng
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}"
        )
    return rng
