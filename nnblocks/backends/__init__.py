"""``nb.backends``: the backend switches PyTorch programs touch, for a CPU-only library.

``nb.backends.mps.is_available()`` is False. ``nb.backends.cudnn.deterministic`` and
``.benchmark`` can be set, as many training scripts do, and change nothing: nnblocks has no
cuDNN (its results are deterministic for given inputs, thread count and settings).
"""

from nnblocks.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
