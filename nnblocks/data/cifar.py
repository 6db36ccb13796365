"""CIFAR-10 from its "python version" batches, read without ``pickle`` (see :mod:`.safe_pickle`).

The batches come as ``cifar-10-batches-py/{data_batch_1..5, test_batch}``, either extracted in a
directory or inside the original ``cifar-10-python.tar.gz`` (read in place, nothing extracted).
Each batch is a dict with ``data`` (10000 × 3072 uint8: 1024 red, 1024 green, 1024 blue values
of a 32 × 32 image, row by row) and ``labels`` (10000 ints in 0..9).
Source: https://www.cs.toronto.edu/~kriz/cifar.html
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

from nnblocks.data.errors import DataFormatError, DatasetNotFoundError
from nnblocks.data.idx import check_labels
from nnblocks.data.safe_pickle import safe_loads

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
CIFAR10_BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_DIR = "cifar-10-batches-py"


def parse_cifar_batch(data: bytes, name: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 3, 32, 32)`` uint8 and labels ``(N,)`` int64 from the bytes of one batch."""
    try:
        batch = safe_loads(data)
    except DataFormatError as e:
        raise DataFormatError(f"{name}: not a CIFAR-10 python batch: {e}") from None
    if not isinstance(batch, dict):
        raise DataFormatError(f"{name}: expected a dict, found {type(batch).__name__}")
    batch = {k.decode("latin-1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    images, labels = batch.get("data"), batch.get("labels")
    if not isinstance(images, np.ndarray) or not isinstance(labels, list):
        raise DataFormatError(f"{name}: a CIFAR batch needs a 'data' array and a 'labels' list")
    if images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or len(images) != len(labels):
        raise DataFormatError(
            f"{name}: 'data' has shape {images.shape} for {len(labels)} labels; "
            "expected (N, 3072)"
        )
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise DataFormatError(f"{name}: 'labels' must be integers") from None
    check_labels(labels, len(CIFAR10_CLASSES), name)
    return images.astype(np.uint8).reshape(-1, 3, 32, 32), labels


def read_cifar_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch file."""
    return parse_cifar_batch(Path(path).read_bytes(), name=str(path))


def load_cifar10(
    root: str | os.PathLike, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 images ``(N, 3, 32, 32)`` uint8 and labels ``(N,)`` int64 from ``root``.

    Looks for ``root/cifar-10-batches-py/``, the batch files directly in ``root``, or
    ``root/cifar-10-python.tar.gz``.
    """
    if split not in CIFAR10_BATCHES:
        raise ValueError(f"load_cifar10: split must be 'train' or 'test', got {split!r}")
    root = Path(root).expanduser()
    names = CIFAR10_BATCHES[split]
    for directory in (root / CIFAR10_DIR, root):
        if all((directory / n).is_file() for n in names):
            parts = [read_cifar_batch(directory / n) for n in names]
            return _concat(parts)
    archive = root / CIFAR10_ARCHIVE
    if archive.is_file():
        return _concat(_read_from_archive(archive, names))
    raise DatasetNotFoundError(
        f"cifar10: {', '.join(names)} not found in {root}, {root / CIFAR10_DIR} or {archive}; "
        "put the python-version batches there or download them with nnblocks.data.fetch"
    )


def _read_from_archive(archive: Path, names: tuple[str, ...]) -> list:
    parts = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for n in names:
                member = tar.getmember(f"{CIFAR10_DIR}/{n}")
                if not member.isfile():
                    raise DataFormatError(f"{archive}: {member.name} is not a regular file")
                data = tar.extractfile(member).read()
                parts.append(parse_cifar_batch(data, name=f"{archive}:{member.name}"))
    except (tarfile.TarError, EOFError, OSError, KeyError) as e:
        raise DataFormatError(f"{archive}: cannot read the CIFAR-10 archive ({e})") from None
    return parts


def _concat(parts: list) -> tuple[np.ndarray, np.ndarray]:
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels
