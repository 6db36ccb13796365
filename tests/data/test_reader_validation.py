"""The dataset readers validate what they read (issue 14): fixed class counts, labels outside
them, zero samples, train/test shape mismatch and overflowing IDX sizes are errors naming the
file, before any training."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

from nnblocks.data import DataFormatError, dataset_config, load_splits
from nnblocks.data.cifar import parse_cifar_batch
from nnblocks.data.idx import load_mnist, parse_idx
from tests.data.test_readers import idx_bytes, py2_cifar_batch


def write_mnist(root, rng, n_train=12, n_test=6, labels=None, test_size=28, dtype=np.uint8):
    """The four MNIST files in ``root``; ``labels`` replaces the training labels."""
    root.mkdir(parents=True, exist_ok=True)
    train_labels = rng.integers(0, 10, n_train) if labels is None else np.asarray(labels)
    files = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)).astype(np.uint8),
        "train-labels-idx1-ubyte": train_labels.astype(dtype),
        "t10k-images-idx3-ubyte":
            rng.integers(0, 256, (n_test, test_size, test_size)).astype(np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    for name, array in files.items():
        (root / name).write_bytes(idx_bytes(array))
    return root


def _mnist_splits(root):
    return load_splits(dataset_config("mnist", data_dir=str(root), val_fraction=0.0))


def test_labels_0_to_255_are_an_error_naming_file_and_first_bad_index(tmp_path, rng):
    labels = np.arange(12) * 20                     # 0, 20, ..., 220: index 1 is the first bad
    write_mnist(tmp_path, rng, labels=labels)
    with pytest.raises(DataFormatError) as info:
        _mnist_splits(tmp_path)
    message = str(info.value)
    assert "train-labels-idx1-ubyte" in message
    assert "label 20 at index 1 is not a class index 0..9" in message


def test_negative_labels_are_an_error_before_training(tmp_path, rng):
    write_mnist(tmp_path, rng, labels=[0, 1, 2, -3, 4, 5, 6, 7, 8, 9, 0, 1], dtype=np.int8)
    with pytest.raises(DataFormatError, match="label -3 at index 3"):
        load_mnist(tmp_path, "train")


def test_a_single_class_file_still_has_ten_classes(tmp_path, rng):
    write_mnist(tmp_path, rng, labels=np.zeros(12))
    splits = _mnist_splits(tmp_path)
    assert splits.num_classes == 10                 # was max(label) + 1 = 1: accuracy 1.0


def test_zero_samples_are_an_error_naming_the_file_without_warnings(tmp_path, rng):
    write_mnist(tmp_path, rng, n_train=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataFormatError, match=r"train-labels-idx1-ubyte: no examples"):
            _mnist_splits(tmp_path)


def test_train_and_test_images_of_different_shapes_are_refused(tmp_path, rng):
    write_mnist(tmp_path, rng, test_size=32)
    with pytest.raises(DataFormatError) as info:
        _mnist_splits(tmp_path)
    message = str(info.value)
    assert "(1, 28, 28)" not in message and "(28, 28)" in message and "(32, 32)" in message
    assert str(tmp_path) in message and "t10k-images-idx3-ubyte" in message


def test_idx_sizes_whose_product_overflows_name_the_file():
    shape = (65536, 65536, 65536, 65536)            # product 2**64: 0 in int64 arithmetic
    data = bytes([0, 0, 0x08, 4]) + struct.pack(">4I", *shape)
    with pytest.raises(DataFormatError, match=r"^x-idx4: IDX data truncated"):
        parse_idx(data, name="x-idx4")


def test_cifar_labels_outside_ten_classes_name_the_batch(rng):
    data = rng.integers(0, 256, (3, 3072)).astype(np.uint8)
    with pytest.raises(DataFormatError, match=r"data_batch_2: label 10 at index 2"):
        parse_cifar_batch(py2_cifar_batch(data, [0, 9, 10]), name="data_batch_2")
    with pytest.raises(DataFormatError, match="data_batch_2: no examples"):
        parse_cifar_batch(py2_cifar_batch(data[:0], []), name="data_batch_2")
