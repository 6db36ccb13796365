"""Checkpoints: one atomic ``.npz`` of arrays plus a JSON manifest; never pickle. ``save`` /
``load`` as PyTorch's, and a reader of ``torch.save`` files that never unpickles."""

from nnblocks.io.atomic import atomic_write
from nnblocks.io.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointError,
    check_model_state,
    load_checkpoint,
    read_checkpoint,
    read_manifest,
    save_checkpoint,
)
from nnblocks.io.serialization import load, save
from nnblocks.io.torch_format import read_torch_file

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "atomic_write",
    "check_model_state",
    "load",
    "load_checkpoint",
    "read_checkpoint",
    "read_manifest",
    "read_torch_file",
    "save",
    "save_checkpoint",
]
