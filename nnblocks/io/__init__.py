"""Checkpoints: one atomic ``.npz`` of arrays plus a JSON manifest; never pickle."""

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

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "atomic_write",
    "check_model_state",
    "load_checkpoint",
    "read_checkpoint",
    "read_manifest",
    "save_checkpoint",
]
