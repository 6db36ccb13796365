"""Atomic file replacement: a crash mid-write never destroys the previous file.

The new content goes to a temporary file in the destination's directory (same file system, so
the rename is atomic), is flushed and fsync'ed, then ``os.replace`` puts it in place, and the
directory is fsync'ed so the rename itself survives a power cut (POSIX; skipped elsewhere).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temporary binary file, then atomically move it to ``path``.

    If ``write`` (or anything before the rename) raises, the temporary file is removed and the
    file at ``path``, if any, is untouched.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.bin"
    >>> _ = atomic_write(p, lambda f: f.write(b"new"))
    >>> p.read_bytes()
    b'new'
    """
    path = Path(path)
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_name)
        raise
    _fsync_directory(directory)
    return path


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:                     # some file systems refuse fsync on a directory
        pass
    finally:
        os.close(fd)
