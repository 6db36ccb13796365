"""Parallel wrappers of modules: :class:`DistributedDataParallel` (``nn.parallel`` in PyTorch)."""

from nnblocks.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
