"""``torch.utils.data``'s names (``from nnblocks.utils.data import DataLoader, TensorDataset``
as in PyTorch), from :mod:`nnblocks.data`: one implementation, two import paths."""

from nnblocks.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
    "RandomSampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "default_collate", "default_convert", "random_split",
]
