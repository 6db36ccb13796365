"""The 8×8 handwritten digits that scikit-learn ships, read from its bundled file.

scikit-learn installs ``sklearn/datasets/data/digits.csv.gz`` (1,797 images of 8×8 pixels with
values 0..16, a copy of the UCI "Optical Recognition of Handwritten Digits" test set). This module
finds that file without importing scikit-learn and parses it with NumPy. Install it with the
``data`` extra: ``pip install "nnblocks[data]"``.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import zlib
from pathlib import Path

import numpy as np

from nnblocks.data.errors import DataFormatError, DatasetNotFoundError

DIGITS_RELATIVE = Path("datasets") / "data" / "digits.csv.gz"


def digits_path() -> Path:
    """Where scikit-learn's ``digits.csv.gz`` is installed (found without importing sklearn)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            candidate = Path(location) / DIGITS_RELATIVE
            if candidate.is_file():
                return candidate
    raise DatasetNotFoundError(
        "digits: scikit-learn's bundled digits.csv.gz was not found; install it with "
        "pip install 'nnblocks[data]' (or pip install scikit-learn)"
    )


def load_digits(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(1797, 1, 8, 8)`` float32 scaled to [0, 1] and labels ``(1797,)`` int64.

    >>> x, y = load_digits()                                    # doctest: +SKIP
    >>> x.shape, y[:5].tolist()                                 # doctest: +SKIP
    ((1797, 1, 8, 8), [0, 1, 2, 3, 4])
    """
    path = Path(path) if path is not None else digits_path()
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise DataFormatError(f"digits: cannot read {path} ({e})") from None
    if table.ndim != 2 or table.shape[1] != 65:
        raise DataFormatError(f"digits: {path} has shape {table.shape}, expected (N, 65)")
    images = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)   # (N, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)                                     # (N,)
    return images, labels
