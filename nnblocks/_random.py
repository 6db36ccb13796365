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


class Generator(np.random.Generator):
    """``torch.Generator``'s spelling: a NumPy :class:`numpy.random.Generator` (PCG64) with
    PyTorch's methods, usable wherever nnblocks takes ``rng=`` / ``generator=``.

    ``Generator()`` starts from PyTorch's default seed, 67280421310721; ``manual_seed(s)``
    reseeds it and returns it, so ``generator=nb.Generator().manual_seed(42)`` reads as in
    PyTorch. The numbers differ from PyTorch's (another algorithm), as every draw does.

    >>> g = Generator().manual_seed(3)
    >>> float(g.random()) == float(np.random.default_rng(3).random()), g.initial_seed()
    (True, 3)
    """

    DEFAULT_SEED = 67280421310721

    def __init__(self, device: object = "cpu") -> None:
        kind = str(getattr(device, "type", device)).partition(":")[0]
        if device is not None and kind != "cpu":         # (core's check_device, not imported:
            raise RuntimeError(                           # _random sits below core)
                f"Generator: nnblocks runs on the CPU; got {str(device)!r} (use 'cpu', as "
                f"'cuda' if torch.cuda.is_available() else 'cpu' picks here)")
        self._initial_seed = self.DEFAULT_SEED
        super().__init__(np.random.PCG64(self.DEFAULT_SEED))

    def manual_seed(self, seed: int) -> Generator:
        """Reseed with ``seed``; returns self."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got "
                            f"{type(seed).__name__}")
        self._initial_seed = int(seed)
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63)).initial_seed()

    def initial_seed(self) -> int:
        """The seed last given (PyTorch's name)."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The bit generator's state (a dict, where PyTorch gives a byte tensor)."""
        return self.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Restore a :meth:`get_state`; returns self."""
        self.bit_generator.state = state
        return self
