"""IDX files (the format of MNIST and Fashion-MNIST), raw or gzip-compressed.

Layout (big-endian): two zero bytes; a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64); the number of dimensions ``d``; ``d`` uint32 sizes; then the data in
C order. Source: http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from nnblocks.data.errors import DataFormatError, DatasetNotFoundError

IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike) -> bytes:
    """A file's content, decompressed when it starts with the gzip magic bytes."""
    path = Path(path)
    data = path.read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise DataFormatError(f"{path}: corrupt or truncated gzip data ({e})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file into an array of native byte order."""
    if len(data) < 4 or data[0:2] != b"\x00\x00":
        raise DataFormatError(f"{name}: not an IDX file (bad magic number {data[:4]!r})")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        raise DataFormatError(f"{name}: unknown IDX type code 0x{type_code:02x}")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise DataFormatError(f"{name}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    dtype = IDX_TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize       # Python ints: no int64 overflow
    got = len(data) - header_end
    if got != expected:
        problem = "truncated" if got < expected else "has trailing bytes"
        raise DataFormatError(
            f"{name}: IDX data {problem}: shape {shape} of {dtype.name} needs {expected} bytes, "
            f"file has {got}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into an array.

    >>> import tempfile, struct
    >>> f = Path(tempfile.mkdtemp()) / "x-idx1-ubyte"
    >>> _ = f.write_bytes(b"\\x00\\x00\\x08\\x01" + struct.pack(">I", 3) + bytes([7, 8, 9]))
    >>> read_idx(f).tolist()
    [7, 8, 9]
    """
    return parse_idx(read_bytes(path), name=str(path))


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: sub-directories searched under the data directory, besides the directory itself
_MNIST_DIRS = {
    "mnist": ("mnist", "MNIST", "MNIST/raw"),
    "fashion-mnist": ("fashion-mnist", "fashion_mnist", "FashionMNIST", "FashionMNIST/raw"),
}


def find_file(root: Path, subdirs: tuple[str, ...], stem: str) -> Path | None:
    """``root/<subdir>/<stem>`` or the same with ``.gz``, for the first subdir that has it."""
    for sub in ("", *subdirs):
        for name in (stem, stem + ".gz"):
            candidate = root / sub / name
            if candidate.is_file():
                return candidate
    return None


def load_mnist(
    root: str | os.PathLike, split: str = "train", variant: str = "mnist"
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8 from ``root``.

    The four standard files (``train-images-idx3-ubyte[.gz]`` ...) are looked for in ``root``
    and in the usual sub-directories (``mnist/``, ``MNIST/raw/``, ``FashionMNIST/raw/`` ...).
    """
    if split not in MNIST_FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if variant not in _MNIST_DIRS:
        raise ValueError(f"load_mnist: variant must be one of {sorted(_MNIST_DIRS)}")
    root = Path(root).expanduser()
    paths = []
    for stem in MNIST_FILES[split]:
        path = find_file(root, _MNIST_DIRS[variant], stem)
        if path is None:
            raise DatasetNotFoundError(
                f"{variant}: {stem}[.gz] not found in {root} (or its sub-directories "
                f"{', '.join(_MNIST_DIRS[variant])}); put the IDX files there or download them "
                "with nnblocks.data.fetch"
            )
        paths.append(path)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataFormatError(
            f"{variant}: {paths[0]} has shape {images.shape} and {paths[1]} has shape "
            f"{labels.shape}; expected (N, H, W) images and N labels"
        )
    check_labels(labels, 10, f"{variant}: {paths[1]}")
    return images, labels


def check_labels(labels: np.ndarray, num_classes: int, name: str) -> None:
    """``DataFormatError`` naming ``name`` when there are no labels, or one is not an integer
    class index in ``0 .. num_classes - 1`` (the first bad index is given)."""
    if labels.size == 0:
        raise DataFormatError(f"{name}: no examples (0 labels)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataFormatError(f"{name}: labels must be integers, got dtype {labels.dtype}")
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(
            f"{name}: label {int(labels[i])} at index {i} is not a class index 0..{num_classes - 1}"
            f" ({bad.size} bad labels; the dataset has {num_classes} classes)"
        )
