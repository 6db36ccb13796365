"""Opt-in downloads, verified by SHA-256 and cached under ``~/.cache/nnblocks``.

Nothing is downloaded unless asked for (``fetch("mnist")``, ``nnblocks train --download``).
A file is written to a temporary name next to its destination, hashed while it arrives, and
renamed into place only when its SHA-256 matches; a mismatch deletes it and raises
:class:`DownloadError`. A cached file is re-hashed before use and fetched again if it differs.

The cache directory is, in order: the ``cache_dir`` argument, ``$NNBLOCKS_CACHE``,
``$XDG_CACHE_HOME/nnblocks``, ``~/.cache/nnblocks``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from nnblocks.data.errors import DownloadError

CACHE_ENV = "NNBLOCKS_CACHE"

_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"

#: files of each downloadable dataset: (url, sha256). Checksums as published by the dataset
#: mirrors and used by TensorFlow Datasets / Keras.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "mnist": [
        (_MNIST_URL + "train-images-idx3-ubyte.gz",
         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        (_MNIST_URL + "train-labels-idx1-ubyte.gz",
         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        (_MNIST_URL + "t10k-images-idx3-ubyte.gz",
         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        (_MNIST_URL + "t10k-labels-idx1-ubyte.gz",
         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ],
    "fashion-mnist": [
        (_FASHION_URL + "train-images-idx3-ubyte.gz",
         "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        (_FASHION_URL + "train-labels-idx1-ubyte.gz",
         "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        (_FASHION_URL + "t10k-images-idx3-ubyte.gz",
         "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        (_FASHION_URL + "t10k-labels-idx1-ubyte.gz",
         "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    ],
    "cifar10": [
        (_CIFAR_URL + "cifar-10-python.tar.gz",
         "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    ],
}

_CHUNK = 1 << 20


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache directory (see the module docstring for the order of precedence)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "nnblocks"
    return Path.home() / ".cache" / "nnblocks"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    sha256: str,
    *,
    cache_dir: str | os.PathLike | None = None,
    filename: str | None = None,
    timeout: float = 60.0,
    quiet: bool = False,
) -> Path:
    """Download ``url`` into the cache unless a verified copy is there; return its path.

    Raises :class:`DownloadError` when the server cannot be reached or the content's SHA-256
    differs from ``sha256`` (the partial or wrong file is deleted; a previous good copy stays).
    """
    directory = default_cache_dir(cache_dir)
    target = directory / (filename or url.rstrip("/").rsplit("/", 1)[-1])
    expected = sha256.lower()
    if target.is_file() and sha256_file(target) == expected:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _stream(url, out, timeout, quiet)
            out.flush()
            os.fsync(out.fileno())
        if actual != expected:
            raise DownloadError(
                f"{url}: SHA-256 mismatch (expected {expected}, got {actual}); "
                "the downloaded file was discarded"
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return target


def _stream(url: str, out, timeout: float, quiet: bool) -> str:
    """Copy the response body of ``url`` into ``out``; return its SHA-256."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress(url, total, quiet)
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DownloadError(f"{url}: download failed ({e})") from None
    return digest.hexdigest()


def _progress(url: str, total: int | None, quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], leave=False)


def fetch(
    name: str,
    *,
    cache_dir: str | os.PathLike | None = None,
    directory: str | os.PathLike | None = None,
    timeout: float = 60.0,
    quiet: bool = False,
) -> Path:
    """Download every file of a dataset (``mnist``, ``fashion-mnist``, ``cifar10``) into
    ``directory`` (default ``<cache>/<name>/``) and return it, ready for the dataset's loader."""
    if name not in SOURCES:
        raise ValueError(f"fetch: no download source for {name!r}; known: {sorted(SOURCES)}")
    directory = Path(directory) if directory is not None else default_cache_dir(cache_dir) / name
    for url, sha in SOURCES[name]:
        download(url, sha, cache_dir=directory, timeout=timeout, quiet=quiet)
    return directory
