"""Readers of real formats on small files written here: IDX (MNIST), CIFAR-10 python batches
(parsed without pickle), scikit-learn's digits file."""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from nnblocks.data import (
    DataFormatError,
    DatasetNotFoundError,
    load_cifar10,
    load_mnist,
    parse_cifar_batch,
    read_idx,
    safe_loads,
)

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of an array, written from the format's description."""
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("compressed", [False, True])
def test_idx_round_trip(tmp_path, rng, dtype, compressed):
    array = (rng.standard_normal((3, 4, 2)) * 50).astype(dtype)
    data = idx_bytes(array)
    path = tmp_path / ("a-idx3" + (".gz" if compressed else ""))
    path.write_bytes(gzip.compress(data) if compressed else data)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype).newbyteorder("=") and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_idx_errors_name_the_file(tmp_path):
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    cases = {
        "truncated": good[:-1],
        "trailing": good + b"\x00",
        "magic": b"\x01" + good[1:],
        "unknown IDX type": good[:2] + b"\x07" + good[3:],
        "header": good[:6],
    }
    for message, data in cases.items():
        path = tmp_path / f"{message.split()[0]}-idx"
        path.write_bytes(data)
        with pytest.raises(DataFormatError, match=message) as info:
            read_idx(path)
        assert str(path) in str(info.value)
    bad_gz = tmp_path / "cut.gz"
    bad_gz.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(DataFormatError, match="gzip"):
        read_idx(bad_gz)


@pytest.mark.parametrize("layout", ["", "MNIST/raw"])
def test_load_mnist_from_a_directory(tmp_path, rng, layout):
    root = tmp_path / layout
    root.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 5).astype(np.uint8)
    (root / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (root / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    x, y = load_mnist(tmp_path, "test")
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(DatasetNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path, "train")


# ---------------------------------------------------------------------- CIFAR-10
def py2_cifar_batch(data: np.ndarray, labels: list[int]) -> bytes:
    """The bytes Python 2's ``cPickle.dump(batch, f, 2)`` writes for a CIFAR batch: str objects
    as (SHORT_)BINSTRING, the array via numpy.core.multiarray._reconstruct + BUILD."""
    def s(text: bytes) -> bytes:
        if len(text) < 256:
            return b"U" + bytes([len(text)]) + text
        return b"T" + struct.pack("<I", len(text)) + text

    n, d = data.shape
    out = b"\x80\x02}q\x01(" + s(b"data") + b"q\x02"
    out += b"cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04"
    out += b"K\x00\x85" + s(b"b") + b"\x87Rq\x05"
    out += b"(K\x01M" + struct.pack("<H", n) + b"M" + struct.pack("<H", d) + b"\x86"
    out += b"cnumpy\ndtype\nq\x06" + s(b"u1") + b"K\x00K\x01\x87Rq\x07"
    out += b"(K\x03" + s(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    out += b"\x89" + s(data.tobytes()) + b"tb"
    out += s(b"labels") + b"]q\x08(" + b"".join(b"K" + bytes([v]) for v in labels) + b"e"
    out += s(b"batch_label") + s(b"training batch 1 of 5")
    out += s(b"filenames") + b"](" + b"".join(s(b"img%d.png" % i) for i in range(n)) + b"e"
    return out + b"u."


def py3_cifar_batch(data: np.ndarray, labels: list[int]) -> bytes:
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data,
             b"filenames": [b"x.png"] * len(labels)}
    return pickle.dumps(batch, protocol=2)


@pytest.mark.parametrize("writer", [py2_cifar_batch, py3_cifar_batch])
def test_cifar_batch_is_parsed_without_pickle(rng, writer):
    data = rng.integers(0, 256, (4, 3072)).astype(np.uint8)
    labels = [3, 0, 9, 1]
    images, y = parse_cifar_batch(writer(data, labels))
    assert images.shape == (4, 3, 32, 32) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(4, -1), data)
    assert y.tolist() == labels


def _write_cifar_dir(root, rng, counts=(2, 1, 1, 1, 1), test=2):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    arrays = {}
    for i, n in enumerate(counts, start=1):
        arrays[f"data_batch_{i}"] = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    arrays["test_batch"] = rng.integers(0, 256, (test, 3072)).astype(np.uint8)
    for name, data in arrays.items():
        (folder / name).write_bytes(py2_cifar_batch(data, [i % 10 for i in range(len(data))]))
    return folder, arrays


def test_load_cifar10_from_directory_and_archive(tmp_path, rng):
    folder, arrays = _write_cifar_dir(tmp_path / "extracted", rng)
    x, y = load_cifar10(tmp_path / "extracted", "train")
    assert x.shape == (6, 3, 32, 32) and y.tolist() == [0, 1, 0, 0, 0, 0]
    expected = np.concatenate([arrays[f"data_batch_{i}"] for i in range(1, 6)])
    np.testing.assert_array_equal(x.reshape(6, -1), expected)
    archive_root = tmp_path / "archive"
    archive_root.mkdir()
    with tarfile.open(archive_root / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    xt, yt = load_cifar10(archive_root, "test")
    np.testing.assert_array_equal(xt.reshape(2, -1), arrays["test_batch"])
    with pytest.raises(DatasetNotFoundError, match="data_batch_1"):
        load_cifar10(tmp_path / "nowhere", "train")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_safe_reader_refuses_code(protocol):
    payload = pickle.dumps({"data": _Exploit()}, protocol=protocol)
    with pytest.raises(DataFormatError, match="not allowed|protocol"):
        safe_loads(payload)


def test_safe_reader_refuses_malformed_data(rng):
    good = py2_cifar_batch(rng.integers(0, 256, (2, 3072)).astype(np.uint8), [1, 2])
    for cut in (1, 10, 100, len(good) // 2, len(good) - 1):
        with pytest.raises(DataFormatError):
            parse_cifar_batch(good[:cut])
    object_array = pickle.dumps(np.array([1, "a"], dtype=object), protocol=2)
    with pytest.raises(DataFormatError):
        safe_loads(object_array)
    with pytest.raises(DataFormatError, match="expected a dict"):
        parse_cifar_batch(pickle.dumps([1, 2], protocol=2))
    assert safe_loads(pickle.dumps({"a": [1, (2.5, None)], "b": True}, protocol=2)) == {
        "a": [1, (2.5, None)], "b": True}


# ---------------------------------------------------------------------- digits
def test_digits_file_is_found_without_importing_sklearn():
    code = ("import sys; from nnblocks.data import load_digits; x, y = load_digits(); "
            "print(x.shape, x.dtype, float(x.max()), y[:3].tolist(), 'sklearn' in sys.modules)")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    except subprocess.CalledProcessError as e:
        if "DatasetNotFoundError" in e.stderr:
            pytest.skip("scikit-learn is not installed")
        raise
    assert out.split() == ["(1797,", "1,", "8,", "8)", "float32", "1.0", "[0,", "1,", "2]",
                           "False"]


def test_digits_reader_rejects_a_bad_file(tmp_path):
    from nnblocks.data import load_digits

    bad = tmp_path / "digits.csv.gz"
    bad.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(DataFormatError, match="expected"):
        load_digits(bad)
