"""Named datasets, split into train / validation / test, described by a JSON-able config.

``load_splits(dataset_config("digits"))`` gives the same arrays on every machine: every random
choice (synthetic data, the split) comes from ``split_seed`` in the config, so a checkpoint that
stores the config can rebuild its test set, and the test set does not move with the run's seed.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.data import synthetic
from nnblocks.data.cifar import CIFAR10_CLASSES, load_cifar10
from nnblocks.data.dataset import split_indices, train_val_split
from nnblocks.data.digits import load_digits
from nnblocks.data.downloader import default_cache_dir, fetch
from nnblocks.data.errors import DataFormatError, DatasetNotFoundError
from nnblocks.data.idx import load_mnist
from nnblocks.data.text import CharCorpus
from nnblocks.data.transforms import Standardize

IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")

#: the class count of each image dataset: fixed, never guessed from the largest label read
NUM_CLASSES = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "cifar10": 10}

#: default settings of every dataset; ``dataset_config`` overrides them
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"test_fraction": 0.2, "val_fraction": 0.1},
    "mnist": {"val_fraction": 1 / 12, "train_limit": None, "data_dir": None},
    "fashion-mnist": {"val_fraction": 1 / 12, "train_limit": None, "data_dir": None},
    "cifar10": {"val_fraction": 0.1, "train_limit": None, "data_dir": None},
    "spirals": {"n": 1200, "noise": 0.05, "turns": 1.5, "test_fraction": 0.2,
                "val_fraction": 0.1},
    "xor": {"n": 600, "noise": 0.2, "test_fraction": 0.2, "val_fraction": 0.1},
    "parity": {"n": 3000, "length": 8, "test_fraction": 0.2, "val_fraction": 0.1},
    "text": {"path": None, "max_chars": 200_000, "seq_len": 64, "test_fraction": 0.05,
             "val_fraction": 0.05},
}
DATASETS = tuple(DEFAULTS)


@dataclass
class Splits:
    """A dataset cut into parts, each an ``(inputs, targets)`` pair of arrays.

    Attributes:
        task: ``"classification"`` (one label per example) or ``"language"`` (a label per step).
        num_classes: number of classes (the vocabulary size for text).
        input_shape: the shape of one input example.
        info: JSON-able facts a model or the CLI needs later (class names, the vocabulary,
            the standardization statistics).
    """

    name: str
    task: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]
    num_classes: int
    input_shape: tuple[int, ...]
    info: dict[str, Any] = field(default_factory=dict)


def dataset_config(name: str, **overrides: Any) -> dict[str, Any]:
    """The full config of a named dataset: its defaults updated with ``overrides``."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    config = {"name": name, "split_seed": 0, **copy.deepcopy(DEFAULTS[name])}
    unknown = set(overrides) - set(config)
    if unknown:
        raise ValueError(f"dataset {name!r} has no setting(s) {sorted(unknown)}")
    config.update(overrides)
    return config


def load_splits(config: dict[str, Any], *, download: bool = False, quiet: bool = False) -> Splits:
    """Load and split the dataset a :func:`dataset_config` describes.

    ``download=True`` fetches MNIST / Fashion-MNIST / CIFAR-10 into the cache when they are
    not found locally (nothing is ever downloaded otherwise); ``quiet`` hides its progress bar.
    """
    name = config["name"]
    rng = np.random.default_rng(config["split_seed"])
    if name == "digits":
        x, y = load_digits()
        return _images(name, _three_way(x, y, config, rng), config, info={})
    if name in ("mnist", "fashion-mnist", "cifar10"):
        return _downloadable(name, config, rng, download, quiet)
    if name in ("spirals", "xor"):
        if name == "spirals":
            x, y = synthetic.two_spirals(config["n"], config["noise"], config["turns"], rng=rng)
        else:
            x, y = synthetic.xor(config["n"], config["noise"], rng=rng)
        parts = _three_way(x, y, config, rng)
        return Splits(name, "classification", *parts, num_classes=2, input_shape=(2,),
                      info={"input_range": _range(parts[0][0])})
    if name == "parity":
        x, y = synthetic.parity(config["n"], config["length"], rng=rng)
        parts = _three_way(x, y, config, rng)
        return Splits(name, "classification", *parts, num_classes=2,
                      input_shape=(config["length"], 1),
                      info={"input_range": _range(parts[0][0])})
    if name == "text":
        return _text(config, rng)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def _three_way(x: np.ndarray, y: np.ndarray, config: dict, rng: np.random.Generator) -> tuple:
    test_f, val_f = config["test_fraction"], config["val_fraction"]
    train, val, test = split_indices(len(x), [1.0 - test_f - val_f, val_f, test_f], rng)
    val_part = (x[val], y[val]) if len(val) else None
    return (x[train], y[train]), val_part, (x[test], y[test])


def _data_dir(name: str, config: dict) -> Path:
    if config.get("data_dir"):
        return Path(config["data_dir"]).expanduser()
    return default_cache_dir() / name


def _downloadable(
    name: str, config: dict, rng: np.random.Generator, download: bool, quiet: bool = False
) -> Splits:
    root = _data_dir(name, config)
    loader = load_cifar10 if name == "cifar10" else _mnist_loader(name)
    try:
        x_train, y_train = loader(root, "train")
    except DatasetNotFoundError:
        if not download:
            raise DatasetNotFoundError(
                f"{name}: no data in {root}; pass --data-dir DIR holding the files, or "
                "--download to fetch them (SHA-256 verified) into the cache"
            ) from None
        root = fetch(name, directory=root, quiet=quiet)
        x_train, y_train = loader(root, "train")
    x_test, y_test = loader(root, "test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataFormatError(
            f"{name}: the training images in {root} have shape {x_train.shape[1:]} but the test "
            f"images have shape {x_test.shape[1:]} ({_image_files(name)}); a model cannot take "
            "both")
    if config.get("train_limit"):
        keep = rng.permutation(len(x_train))[: config["train_limit"]]
        x_train, y_train = x_train[keep], y_train[keep]
    if x_train.ndim == 3:                                   # (N, H, W) → (N, 1, H, W)
        x_train, x_test = x_train[:, None], x_test[:, None]
    x_train = x_train.astype(np.float32) / np.float32(255.0)
    x_test = x_test.astype(np.float32) / np.float32(255.0)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    val = None
    if config["val_fraction"] > 0:
        (x_train, y_train), val = train_val_split(
            x_train, y_train, val_fraction=config["val_fraction"], rng=rng)
    info = {"classes": list(CIFAR10_CLASSES)} if name == "cifar10" else {}
    return _images(name, ((x_train, y_train), val, (x_test, y_test)), config, info)


def _image_files(name: str) -> str:
    if name == "cifar10":
        return "data_batch_1..5 vs test_batch"
    return "train-images-idx3-ubyte vs t10k-images-idx3-ubyte"


def _mnist_loader(variant: str):
    def load(root: os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
        return load_mnist(root, split, variant=variant)

    return load


def _images(name: str, parts: tuple, config: dict, info: dict) -> Splits:
    """Standardize every channel with the training part's statistics."""
    (x_train, y_train), val, (x_test, y_test) = parts
    standardize = Standardize(axis=(0, 2, 3)).fit(x_train)
    info = {**info, "standardize": standardize.to_config(), "input_range": _range(x_train)}
    train = (standardize(x_train), y_train)
    test = (standardize(x_test), y_test)
    if val is not None:
        val = (standardize(val[0]), val[1])
    num_classes = NUM_CLASSES[name]
    return Splits(name, "classification", train, val, test, num_classes,
                  tuple(x_train.shape[1:]), info)


def _range(x: np.ndarray) -> list[float]:
    """``[min, max]`` of the training inputs (``predict`` warns on inputs far outside it)."""
    return [float(x.min()), float(x.max())] if x.size else [0.0, 0.0]


def _text(config: dict, rng: np.random.Generator) -> Splits:
    if config["path"]:
        corpus = CharCorpus.from_file(config["path"])
        if config["max_chars"]:
            corpus = CharCorpus(corpus.text[: config["max_chars"]])
    else:
        corpus = CharCorpus.default(config["max_chars"])
    x, y = corpus.sequences(config["seq_len"])
    parts = _three_way(x, y, config, rng)
    return Splits("text", "language", *parts, num_classes=corpus.vocab_size,
                  input_shape=(config["seq_len"],), info={"vocab": corpus.vocab})
