r"""The one switch between a block's NumPy reference and its compiled twin.

A block (or an optimizer) that has a compiled twin declares it once, as a class attribute, and
decides once, in ``forward``, which path runs; the choice travels to ``backward`` in ``saved``::

    class ReLUBlock(Block):
        compiled_twin = Twin(kernel_elementwise.supported)   # which arrays the twin accepts

        @staticmethod
        def forward(x):
            if use_compiled(ReLUBlock, x):                   # the single decision
                y, positive = kernel_elementwise.relu_forward(x)
                return y, (positive, True)                   # ... recorded in saved
            positive = x > 0
            return np.maximum(x, 0.0), (positive, False)

        @staticmethod
        def backward(saved, gy):
            positive, compiled = saved                       # backward follows forward's path
            ...

:func:`use_compiled` is true when the compiled path is switched on (numba importable, not
``NNBLOCKS_DISABLE_NUMBA=1``, not :func:`nnblocks.kernels.use_numba` ``(False)``) **and** the
twin's ``supported(*arrays)`` accepts these arrays (dtype, layout, window ...). Backward never
reads the switch again, so switching between a forward and its backward is safe and the two
paths may save different things. Backward may still fall back to NumPy for an argument the
kernel cannot take (a non-contiguous gradient): the twin computes the same formula.

Adding a twin (a few lines):

1. kernels in ``nnblocks/kernels/<family>.py`` with a ``supported(*arrays) -> bool``
   (copy :mod:`nnblocks.kernels.pool`);
2. in the block: ``compiled_twin = Twin(<family>.supported)``, ``use_compiled(TheBlock, ...)``
   in forward, the flag in ``saved``, a branch on it in backward (copy ``ReLUBlock`` in
   :mod:`nnblocks.functional.activation`);
3. a case in ``tests/cases`` whose inputs the twin supports: ``tests/test_block_table.py`` runs
   every case of a block with a twin on both paths (ids ``...-numpy`` / ``...-compiled``) and
   fails when no case of such a block reaches the twin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnblocks import kernels


@dataclass(frozen=True)
class Twin:
    """A block's compiled twin: ``supported(*arrays)`` says which inputs it handles."""

    supported: Callable[..., bool]


def use_compiled(owner: Any, *arrays: Any) -> bool:
    """Whether ``owner`` (a block class or an optimizer) runs its compiled twin on ``arrays``:
    it declares a ``compiled_twin``, the compiled path is on and the twin supports them."""
    twin = getattr(owner, "compiled_twin", None)
    return twin is not None and kernels.numba_enabled() and twin.supported(*arrays)


__all__ = ["Twin", "use_compiled"]
