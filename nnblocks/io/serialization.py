"""``nb.save`` / ``nb.load``: PyTorch's two functions, in nnblocks' pickle-free formats.

``nb.save(obj, path)`` takes what ``torch.save`` is used for in practice — a model's
``state_dict()``, an optimizer's, and nested dicts, lists and tuples of tensors, arrays, numbers,
strings and None — and writes one checkpoint ``.npz`` (a JSON manifest plus one entry per array,
written atomically; see :mod:`nnblocks.io.checkpoint`). A whole model or optimizer object is
refused: storing code would need pickle; save its ``state_dict()`` and rebuild the object in code.

``nb.load(path)`` reads that format, and also **PyTorch's own** ``.pt`` / ``.pth`` files of state
dicts (the zip archive ``torch.save`` writes), without PyTorch and without unpickling (see
:mod:`nnblocks.io.torch_format`). Arrays come back as :class:`~nnblocks.Tensor`\\ s, as
``torch.load`` returns tensors; a training checkpoint written by ``nnblocks train`` loads as a
dict of its sections (``model``, ``optimizer``, ``epoch`` ...).

>>> import tempfile, nnblocks as nb, nnblocks.nn as nn
>>> layer = nn.Linear(3, 2)
>>> path = tempfile.mkdtemp() + "/linear.npz"
>>> nb.save(layer.state_dict(), path)
>>> state = nb.load(path)
>>> sorted(state), type(state["weight"]).__name__
(['bias', 'weight'], 'Tensor')
>>> layer.load_state_dict(state)
<All keys matched successfully>
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.io.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from nnblocks.io.torch_format import is_torch_file, read_torch_file

#: the key under which :func:`save` keeps the object in a checkpoint's ``extra`` section
SAVED = "nnblocks.save"


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict or nested containers of tensors and plain values) to ``f``.

    Like ``torch.save(obj, f)`` for state dicts; the file is nnblocks' checkpoint ``.npz``,
    written atomically. Raises TypeError for objects that would need pickle (a Module, an
    Optimizer, any other class), naming what to save instead.
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"nb.save: expected a file path, got {type(f).__name__} (nnblocks writes "
                        "files atomically, by path)")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        kind = type(obj).__name__
        raise TypeError(
            f"nb.save: cannot save a whole {kind} object (that would need pickle, which nnblocks "
            f"never uses); save its state instead: nb.save({_var(obj)}.state_dict(), path), "
            f"then rebuild the {kind} in code and call load_state_dict(nb.load(path))"
        )
    try:
        save_checkpoint(f, extra={SAVED: _to_arrays(obj, "obj")})
    except CheckpointError as e:
        message = str(e).replace("cannot write checkpoint: checkpoint:", "nb.save:")
        raise TypeError(message) from None


def load(f: str | os.PathLike | Any, map_location: Any = None, weights_only: Any = None,
         **kwargs: Any) -> Any:
    """Read what :func:`save` or ``torch.save`` wrote; tensors come back as nnblocks Tensors.

    Args:
        f: a path, or a binary file object opened for reading.
        map_location: accepted for PyTorch programs: ``None``, ``"cpu"`` or a CPU device
            (nnblocks runs on the CPU); anything else raises RuntimeError.
        weights_only: accepted and ignored: nnblocks only ever reads weights (it never
            unpickles objects), which is what ``weights_only=True`` asks of PyTorch.
    """
    del weights_only
    if kwargs:
        raise TypeError(f"nb.load: unexpected arguments {sorted(kwargs)}")
    _check_cpu(map_location)
    if isinstance(f, (str, os.PathLike)):
        path = Path(f)
        if not path.is_file():
            raise FileNotFoundError(f"nb.load: no such file: '{path}'")
        data = path.read_bytes()
    elif hasattr(f, "read"):
        data = f.read()
        path = Path(getattr(f, "name", "<file object>"))
    else:
        raise TypeError(f"nb.load: expected a path or a file object, got {type(f).__name__}")
    if is_torch_file(data) or data[:1] == b"\x80":          # zip archive, or legacy pickle
        return read_torch_file(data, name=str(path))
    if path.is_file():
        ckpt = read_checkpoint(path)
    else:                                          # a file object: go through a buffer
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "loaded.npz"
            copy.write_bytes(data)
            ckpt = read_checkpoint(copy)
    if isinstance(ckpt.extra, dict) and set(ckpt.extra) == {SAVED}:
        return _to_tensors(ckpt.extra[SAVED])
    sections = {
        "model": ckpt.model_state, "optimizer": ckpt.optimizer_state,
        "scheduler": ckpt.scheduler_state, "loader": ckpt.loader_state, "epoch": ckpt.epoch,
        "config": ckpt.config, "metrics": ckpt.metrics, "extra": ckpt.extra,
    }
    return _to_tensors({k: v for k, v in sections.items() if v is not None})


def _check_cpu(map_location: Any) -> None:
    if map_location is None or callable(map_location) and not isinstance(map_location, str):
        return
    text = str(getattr(map_location, "type", map_location))
    if isinstance(map_location, dict) or text.split(":")[0] != "cpu":
        raise RuntimeError(f"nb.load: nnblocks runs on the CPU; got map_location={map_location!r}"
                           " (write map_location='cpu' or leave it out)")


def _var(obj: Any) -> str:
    return "optimizer" if hasattr(obj, "param_groups") else "model"


def _to_arrays(obj: Any, where: str) -> Any:
    """Tensors -> arrays in nested containers; anything that is no plain value is refused."""
    if isinstance(obj, Tensor):
        return obj.array
    if isinstance(obj, dict):
        return {k: _to_arrays(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_arrays(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return tuple(_to_arrays(v, f"{where}[{i}]") for i, v in enumerate(obj))
    if obj is None or isinstance(obj, (bool, int, float, str, np.ndarray, np.generic)):
        return obj
    raise TypeError(f"nb.save: cannot save a {type(obj).__name__} at {where} (only tensors, "
                    "arrays, numbers, strings, None and dicts/lists/tuples of them)")


def _to_tensors(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return Tensor(obj)
    if isinstance(obj, dict):
        return {k: _to_tensors(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_tensors(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_tensors(v) for v in obj)
    return obj


__all__ = ["load", "save"]
