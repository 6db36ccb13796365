"""The run directory of ``nnblocks train``: never overwritten silently, never left half-made.

- A non-empty ``--out`` is refused unless it is the run being resumed or ``--overwrite`` is
  given; the message suggests the next free ``DIR-N``. Files of other programs are never
  removed: ``--overwrite`` replaces only the run files (:data:`RUN_FILES`).
- Temporary files of our own naming pattern (``.checkpoint.npz.<random>.tmp``, left by a killed
  run) are removed when a run starts or resumes.
- A run that fails or is interrupted before its first checkpoint removes what it created: the
  directory when it made it, else the files it wrote.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from nnblocks.cli.session import CLIError

#: the files a run writes in its directory
RUN_FILES = ("checkpoint.npz", "best.npz", "metrics.jsonl", "config.json", "curves.png")

#: temporary files of :func:`nnblocks.io.atomic_write` for the run files (mkstemp's names)
_TMP = re.compile(r"^\.(" + "|".join(re.escape(n) for n in RUN_FILES) + r")\.[A-Za-z0-9_]+\.tmp$")


def stale_tmp_files(path: Path) -> list[Path]:
    """Temporary files a killed run left in ``path`` (our naming pattern only)."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if _TMP.match(p.name) and p.is_file())


def remove_stale_tmp(path: Path) -> None:
    for p in stale_tmp_files(path):
        with contextlib.suppress(OSError):
            p.unlink()


def next_free(path: Path) -> Path:
    """``DIR-2``, ``DIR-3``, ...: the first that does not exist or is empty."""
    if path.name in ("", ".", ".."):                 # --out . names no directory to number
        path = path.resolve()
    n = 2
    while True:
        candidate = path.with_name(f"{path.name}-{n}")
        if not candidate.exists() or (candidate.is_dir() and not any(candidate.iterdir())):
            return candidate
        n += 1


def _contents(path: Path) -> list[str]:
    stale = {p.name for p in stale_tmp_files(path)}
    return sorted(p.name for p in path.iterdir() if p.name not in stale)


def _remove_created(path: Path, created: Path) -> None:
    """Remove ``path`` (made by this run), then its parents up to ``created`` (the topmost
    directory this run made) while they are empty: a parent such as ``runs/`` may meanwhile
    hold another run's directory."""
    shutil.rmtree(path, ignore_errors=True)
    if path == created:
        return
    for parent in path.parents:                     # nearest first
        if created not in (parent, *parent.parents):
            return
        try:
            parent.rmdir()                          # only when empty
        except OSError:
            return
        if parent == created:
            return


class RunDirectory:
    """The directory of one ``nnblocks train`` invocation, and what it created there."""

    def __init__(self, path: Path, created: Path | None) -> None:
        self.path = path
        self.created = created              # the topmost directory this run made, if any
        self.written: list[Path] = []       # run files written before the first checkpoint

    @classmethod
    def prepare(cls, out: str | Path, *, overwrite: bool = False,
                resuming: Path | None = None) -> RunDirectory:
        """Check ``out`` (see the module docstring), create it, check it is writable.

        ``resuming``: the checkpoint being resumed; its own directory is accepted as it is.
        """
        path = Path(out).expanduser()
        if path.exists() and not path.is_dir():
            raise CLIError(f"cannot write to the output directory {path}: it is a file")
        is_resumed_run = resuming is not None and path.resolve() == resuming.parent.resolve()
        if path.is_dir() and not is_resumed_run and not overwrite:
            contents = _contents(path)
            if contents:
                shown = ", ".join(repr(n) for n in contents[:3])
                more = f" and {len(contents) - 3} more" if len(contents) > 3 else ""
                hint = (f"; to continue its run: --resume {path}"
                        if "checkpoint.npz" in contents and resuming is None else "")
                raise CLIError(
                    f"the output directory {path} is not empty ({shown}{more}): choose another "
                    f"--out (e.g. {next_free(path)}) or pass --overwrite to replace its run "
                    f"files{hint}")
        missing = [p for p in (path, *path.parents) if not p.exists()]
        created = missing[-1] if missing else None
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as e:
            if created is not None:
                _remove_created(path, created)
            raise CLIError(f"cannot write to the output directory {path}: "
                           f"{e.strerror or e}") from None
        remove_stale_tmp(path)
        return cls(path, created)

    def clear_run_files(self) -> None:
        """Remove the previous run's files (``--overwrite``), once this run has started."""
        for name in RUN_FILES:
            with contextlib.suppress(FileNotFoundError):
                (self.path / name).unlink()

    def discard(self) -> None:
        """Undo a run that ended before its first checkpoint: remove the directory it created,
        else the files it wrote; temporary files of ours go too."""
        if self.created is not None:
            _remove_created(self.path, self.created)
            return
        for p in self.written:
            with contextlib.suppress(OSError):
                os.remove(p)
        remove_stale_tmp(self.path)
