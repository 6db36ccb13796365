"""``torch.utils.data``'s names: ``Dataset``, ``DataLoader``, ``DistributedSampler``, from
:mod:`nnblocks.data` (``from nnblocks.utils.data import DataLoader`` as in PyTorch)."""

from nnblocks.data import DataLoader, Dataset, DistributedSampler

__all__ = ["DataLoader", "Dataset", "DistributedSampler"]
