"""The opt-in downloader against a local HTTP server on 127.0.0.1: SHA-256 verification,
caching, and rejection of a corrupted file."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import socket
import sys
import threading

import numpy as np
import pytest

import nnblocks.data.downloader as download_module
from nnblocks.data import (
    DownloadError,
    dataset_config,
    download,
    fetch,
    load_mnist,
    load_splits,
)
from tests.data.test_readers import idx_bytes


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on a free loopback port; stops itself after the test (or
    after 60 s at most)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    watchdog = threading.Timer(60.0, httpd.shutdown)
    watchdog.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_verifies_and_caches(server, tmp_path):
    root, url = server
    payload = b"nnblocks" * 1000
    (root / "file.bin").write_bytes(payload)
    cache = tmp_path / "cache"
    path = download(url + "file.bin", _sha(payload), cache_dir=cache, quiet=True)
    assert path == cache / "file.bin" and path.read_bytes() == payload
    (root / "file.bin").unlink()                       # the cached copy needs no server
    assert download(url + "file.bin", _sha(payload), cache_dir=cache) == path


def test_corrupted_download_is_rejected(server, tmp_path):
    root, url = server
    good = b"good content"
    (root / "data.gz").write_bytes(b"bad content!")   # what the server has is corrupted
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        download(url + "data.gz", _sha(good), cache_dir=cache, quiet=True)
    assert list(cache.iterdir()) == []                  # nothing kept, no temporary file
    (cache / "data.gz").write_bytes(b"tampered cache")  # a corrupt cached copy is replaced
    (root / "data.gz").write_bytes(good)
    assert download(url + "data.gz", _sha(good), cache_dir=cache).read_bytes() == good


def test_unreachable_server_is_a_clear_error(tmp_path):
    with socket.socket() as s:                          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="download failed"):
        download(f"http://127.0.0.1:{port}/x", "0" * 64, cache_dir=tmp_path, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_fetch_a_dataset_then_read_it(server, tmp_path, monkeypatch, rng):
    root, url = server
    sources = []
    for split, stem in (("train", "train"), ("test", "t10k")):
        n = 3 if split == "train" else 2
        files = {
            f"{stem}-images-idx3-ubyte.gz": rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
            f"{stem}-labels-idx1-ubyte.gz": rng.integers(0, 10, n).astype(np.uint8),
        }
        for name, array in files.items():
            data = gzip.compress(idx_bytes(array))
            (root / name).write_bytes(data)
            sources.append((url + name, _sha(data)))
    monkeypatch.setitem(download_module.SOURCES, "mnist", sources)
    monkeypatch.setenv("NNBLOCKS_CACHE", str(tmp_path / "env-cache"))
    directory = fetch("mnist", quiet=True)
    assert directory == tmp_path / "env-cache" / "mnist"
    x, y = load_mnist(directory, "train")
    assert x.shape == (3, 28, 28) and y.shape == (3,)


def test_download_bar_only_on_a_terminal_and_not_when_quiet(server, tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    root, url = server
    sources = []
    for stem, n in (("train", 4), ("t10k", 2)):
        for kind, shape in (("images-idx3", (n, 28, 28)), ("labels-idx1", (n,))):
            data = gzip.compress(idx_bytes(np.zeros(shape, dtype=np.uint8)))
            (root / f"{stem}-{kind}-ubyte.gz").write_bytes(data)
            sources.append((f"{url}{stem}-{kind}-ubyte.gz", _sha(data)))
    monkeypatch.setitem(download_module.SOURCES, "mnist", sources)
    for quiet in (True, False):
        screen = Terminal()
        monkeypatch.setattr(sys, "stderr", screen)
        config = dataset_config("mnist", data_dir=str(tmp_path / f"quiet-{quiet}"))
        splits = load_splits(config, download=True, quiet=quiet)
        assert len(splits.test[0]) == 2
        assert (screen.getvalue() == "") is quiet
