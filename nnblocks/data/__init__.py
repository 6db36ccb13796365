"""Data: datasets, a resumable ``DataLoader``, readers of standard formats, synthetic tasks.

Nothing is downloaded at import time or unless asked (:func:`fetch`, ``--download``).
"""

from nnblocks.data.catalog import DATASETS, Splits, dataset_config, load_splits
from nnblocks.data.cifar import load_cifar10, parse_cifar_batch, read_cifar_batch
from nnblocks.data.collate import default_collate, default_convert
from nnblocks.data.dataset import (
    ArrayDataset,
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    collate,
    random_split,
    split_indices,
    train_val_split,
)
from nnblocks.data.digits import digits_path, load_digits
from nnblocks.data.distributed import DistributedSampler
from nnblocks.data.downloader import default_cache_dir, download, fetch, sha256_file
from nnblocks.data.errors import DataFormatError, DatasetNotFoundError, DownloadError
from nnblocks.data.idx import load_mnist, parse_idx, read_idx
from nnblocks.data.loader import DataLoader
from nnblocks.data.safe_pickle import safe_loads
from nnblocks.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
)
from nnblocks.data.synthetic import (
    adding_problem,
    copy_task,
    parity,
    regression_1d,
    two_spirals,
    xor,
)
from nnblocks.data.text import CharCorpus, default_text
from nnblocks.data.transforms import Standardize, one_hot

__all__ = [
    "BatchSampler", "ConcatDataset", "RandomSampler", "SequentialSampler", "SubsetRandomSampler",
    "TensorDataset", "default_collate", "default_convert", "ChainDataset", "IterableDataset",
    "DistributedSampler",
    "DATASETS", "ArrayDataset", "CharCorpus", "DataFormatError", "DataLoader", "Dataset",
    "DatasetNotFoundError", "DownloadError", "Splits", "Standardize", "Subset", "adding_problem",
    "collate", "copy_task", "dataset_config", "default_cache_dir", "default_text", "digits_path",
    "download", "fetch", "load_cifar10", "load_digits", "load_mnist", "load_splits", "one_hot",
    "parity", "parse_cifar_batch", "parse_idx", "random_split", "read_cifar_batch", "read_idx",
    "regression_1d", "safe_loads", "sha256_file", "split_indices", "train_val_split",
    "two_spirals", "xor",
]
