"""Checkpoints: one ``.npz`` file holding every array and a JSON manifest, written atomically.

Layout of the file (a zip of ``.npy`` entries, readable with ``np.load(path, allow_pickle=False)``):

- ``__manifest__``: uint8 bytes of a UTF-8 JSON document: ``format``, ``version``, ``epoch``,
  ``config`` (what rebuilds the model), ``metrics``, and the structure of the model, optimizer,
  scheduler, loader and RNG states with every array replaced by a reference to its entry;
- ``model/<parameter name>``, ``optimizer/...``, ``scheduler/...``, ``loader/...``: the arrays.

Writing goes through :func:`~nnblocks.io.atomic.atomic_write` (temporary file, fsync, rename):
a crash mid-write leaves the previous checkpoint intact. Reading never unpickles anything.
Every problem — missing, corrupt or truncated file, wrong format or version, a model of another
architecture — raises :class:`CheckpointError` naming the file and the problem.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.io.atomic import atomic_write
from nnblocks.io.tree import array_names, flatten, unflatten

FORMAT = "nnblocks-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "__manifest__"


class CheckpointError(Exception):
    """A checkpoint cannot be written, read, or loaded into the given objects."""


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` read: the manifest's fields and the states, arrays restored."""

    path: Path
    version: int
    epoch: int | None
    config: Any
    metrics: Any
    model_state: dict[str, np.ndarray] | None
    optimizer_state: Any
    scheduler_state: Any
    loader_state: Any
    rng_state: Any
    extra: Any
    manifest: dict[str, Any] = field(repr=False, default_factory=dict)

    def restore(
        self,
        *,
        model: Any = None,
        optimizer: Any = None,
        scheduler: Any = None,
        loader: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        """Load the saved states into whichever objects are given (the model is checked first)."""
        if model is not None:
            check_model_state(self.path, self.model_state, model)
            _load_state(self.path, "model", model, self.model_state)
        for name, target, state in (
            ("optimizer", optimizer, self.optimizer_state),
            ("scheduler", scheduler, self.scheduler_state),
            ("loader", loader, self.loader_state),
        ):
            if target is not None:
                _load_state(self.path, name, target, state)
        if rng is not None:
            if self.rng_state is None:
                raise CheckpointError(f"{self.path}: the checkpoint holds no RNG state")
            try:
                rng.bit_generator.state = self.rng_state
            except (TypeError, ValueError, KeyError) as e:
                raise CheckpointError(f"{self.path}: cannot restore the RNG state ({e})") from None


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    loader: Any = None,
    epoch: int | None = None,
    rng: np.random.Generator | None = None,
    metrics: Any = None,
    config: Any = None,
    extra: Any = None,
) -> Path:
    """Write a checkpoint atomically and return its path.

    Each of ``model``, ``optimizer``, ``scheduler`` and ``loader`` is saved through its
    ``state_dict()``; ``rng`` through ``rng.bit_generator.state``. ``config``, ``metrics`` and
    ``extra`` must be JSON-able apart from arrays (which are stored as entries).

    >>> import tempfile
    >>> p = save_checkpoint(Path(tempfile.mkdtemp()) / "c.npz", epoch=3, metrics={"loss": 0.5})
    >>> load_checkpoint(p).epoch
    3
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    sections = {
        "model": model.state_dict() if model is not None else None,
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "loader": loader.state_dict() if loader is not None else None,
        "rng": rng.bit_generator.state if rng is not None else None,
        "config": config,
        "metrics": metrics,
        "extra": extra,
    }
    manifest: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION, "epoch": epoch}
    try:
        for key, value in sections.items():
            manifest[key] = flatten(value, key, arrays)
        text = json.dumps(manifest)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot write checkpoint: {e}") from None
    arrays[MANIFEST] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    def write(f: Any) -> None:
        np.savez(f, allow_pickle=False, **arrays)

    try:
        return atomic_write(path, write)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot write checkpoint: {e}") from None


def read_manifest(path: str | os.PathLike) -> tuple[dict[str, Any], Any]:
    """The checked manifest and the open array store of a checkpoint (arrays not yet read)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({e.strerror or e})") from None
    if not data.startswith(_ZIP_MAGIC):
        # NumPy would try the other formats it knows and end up suggesting allow_pickle=True:
        # never advice to give about a damaged file
        raise CheckpointError(f"{path}: not a readable checkpoint (not an .npz file: it starts "
                              f"with {data[:4]!r}, expected {_ZIP_MAGIC!r}; corrupt or "
                              "truncated?)")
    try:
        damaged = _damaged_entry(data)
        store = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:                   # zipfile and NumPy raise many kinds on bad bytes
        raise CheckpointError(
            f"{path}: not a readable checkpoint (corrupt or truncated .npz file: "
            f"{_printable(e)})"
        ) from None
    if damaged is not None:
        raise CheckpointError(
            f"{path}: not a readable checkpoint (corrupt .npz file: entry {damaged!r} fails "
            "its CRC-32 check)"
        )
    if not hasattr(store, "files") or MANIFEST not in store.files:
        raise CheckpointError(f"{path}: not an nnblocks checkpoint (no {MANIFEST} entry)")
    try:
        manifest = json.loads(bytes(_read_entry(path, store, MANIFEST)).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: the manifest is not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an nnblocks checkpoint (format is not {FORMAT!r})")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r} is not supported "
            f"(this nnblocks reads versions 1 to {FORMAT_VERSION})"
        )
    return manifest, store


#: the first bytes of a zip archive (a local file header), hence of every .npz file
_ZIP_MAGIC = b"PK\x03\x04"


def _printable(error: Exception) -> str:
    """An error's message with control characters escaped (a corrupt entry name can hold
    newlines) and without NumPy's advice to load with ``allow_pickle=True``."""
    text = str(error)
    if "pickle" in text:
        return f"{type(error).__name__} while decoding an entry"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _damaged_entry(data: bytes) -> str | None:
    """The first zip entry whose CRC-32 does not match its bytes, or None.

    Checking every entry up front matters: NumPy parses an entry's ``.npy`` header before the
    zip layer has seen the whole entry, so a damaged header or shape would otherwise surface as
    a parser error, or as an array of the wrong shape.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.testzip()


def _read_entry(path: Path, store: Any, name: str) -> np.ndarray:
    if not isinstance(name, str) or name not in store.files:
        raise CheckpointError(f"{path}: the checkpoint lacks the array entry {name!r}")
    try:
        return store[name]
    except Exception as e:                   # the bytes passed the CRC check: a bad .npy entry
        raise CheckpointError(f"{path}: entry {name!r} is corrupt ({_printable(e)})") from None


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and check a checkpoint file, restoring its arrays; load nothing into any object."""
    path = Path(path)
    manifest, store = read_manifest(path)
    arrays = {name: _read_entry(path, store, name) for name in array_names(manifest)}
    _check_manifest_types(path, manifest)
    sections = {}
    for key in ("model", "optimizer", "scheduler", "loader", "rng", "config", "metrics", "extra"):
        try:
            sections[key] = unflatten(manifest.get(key), arrays)
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise CheckpointError(f"{path}: manifest field {key!r} is malformed "
                                  f"({type(e).__name__}: {_printable(e)})") from None
    return Checkpoint(
        path=path,
        version=manifest["version"],
        epoch=manifest.get("epoch"),
        config=sections["config"],
        metrics=sections["metrics"],
        model_state=sections["model"],
        optimizer_state=sections["optimizer"],
        scheduler_state=sections["scheduler"],
        loader_state=sections["loader"],
        rng_state=sections["rng"],
        extra=sections["extra"],
        manifest=manifest,
    )


#: manifest fields and the JSON types they must have (or null, or absent); the saved states
#: are checked when they are restored into their objects
_MANIFEST_TYPES = {"epoch": (int,), "config": (dict,), "metrics": (dict,), "extra": (dict,)}


def _check_manifest_types(path: Path, manifest: dict[str, Any]) -> None:
    """:class:`CheckpointError` naming the first manifest field of the wrong type."""
    for key, types in _MANIFEST_TYPES.items():
        value = manifest.get(key)
        if value is None:
            continue
        if not isinstance(value, types) or isinstance(value, bool):
            raise CheckpointError(
                f"{path}: manifest field {key!r} is {value!r:.60} ({type(value).__name__}), "
                f"expected {' or '.join(t.__name__ for t in types)} or null"
            )
    epoch = manifest.get("epoch")
    if epoch is not None and epoch < 0:
        raise CheckpointError(f"{path}: manifest field 'epoch' is {epoch}, expected >= 0")


def load_checkpoint(
    path: str | os.PathLike,
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    loader: Any = None,
    rng: np.random.Generator | None = None,
) -> Checkpoint:
    """Read a checkpoint; load its states into whichever objects are given, and return it.

    The model is checked against the saved parameter names and shapes before anything is
    copied, so a mismatched architecture raises :class:`CheckpointError` and leaves the model as
    it was.
    """
    ckpt = read_checkpoint(path)
    ckpt.restore(model=model, optimizer=optimizer, scheduler=scheduler, loader=loader, rng=rng)
    return ckpt


def check_model_state(path: Path, state: dict[str, np.ndarray] | None, model: Any) -> None:
    """Raise :class:`CheckpointError` unless ``state`` has exactly ``model``'s names and shapes."""
    if state is None:
        raise CheckpointError(f"{path}: the checkpoint holds no model state")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: the saved model state is a {type(state).__name__}, "
                              "expected a mapping of names to arrays")
    own = {k: np.shape(v) for k, v in model.state_dict().items()}
    saved = {_shown(k): np.shape(v) for k, v in state.items()}      # names from the file
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    wrong = [f"{k}: saved {saved[k]}, model {own[k]}" for k in own
             if k in saved and saved[k] != own[k]]
    if missing or unexpected or wrong:
        details = []
        if missing:
            details.append(f"missing {_few(missing)}")
        if unexpected:
            details.append(f"unexpected {_few(unexpected)}")
        if wrong:
            details.append(f"shape mismatch {_few(wrong)}")
        raise CheckpointError(
            f"{path}: the checkpoint does not match the model's architecture "
            f"({type(model).__name__}): " + "; ".join(details)
        )


def _load_state(path: Path, name: str, target: Any, state: Any) -> None:
    if state is None:
        raise CheckpointError(f"{path}: the checkpoint holds no {name} state")
    try:
        target.load_state_dict(state)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
        raise CheckpointError(
            f"{path}: the saved {name} state does not fit this {type(target).__name__} ({e})"
        ) from None


def _shown(name: Any) -> str:
    """A name read from a file, as it may be shown in a one-line error: itself when printable,
    else its ``repr`` (no raw control characters or newlines)."""
    return name if isinstance(name, str) and name.isprintable() else repr(name)


def _few(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
