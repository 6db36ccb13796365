"""``torch.nn.utils.rnn``: :func:`pad_sequence` (and :func:`unpad_sequence`) as PyTorch's.

nnblocks has no ``PackedSequence``: :func:`pack_padded_sequence`, :func:`pack_sequence` and
:func:`pad_packed_sequence` raise, saying what to write instead (run the recurrent layer on the
padded batch and read each sequence's last valid step by its length).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.padding import pad
from nnblocks.functional.shape import stack

__all__ = ["pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence"]

_NO_PACKING = (
    "{name}: nnblocks has no PackedSequence; run the RNN on the padded batch instead "
    "(pad_sequence(seqs, batch_first=True)) and take each sequence's last valid output by its "
    "length, e.g. out[nb.arange(N), lengths - 1] with batch_first=True (the states after the "
    "padding are not used, and masked losses ignore the padded steps)"
)


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``(B, L_max, *)`` with
    ``batch_first``), filled with ``padding_value`` after (or before, ``padding_side='left'``)
    each sequence. Built from ``pad`` and ``stack`` blocks, so gradients flow to every input."""
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    seqs = [s if isinstance(s, Tensor) else Tensor(np.asarray(s)) for s in seqs]
    trailing = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)}; every "
                               f"sequence must be (L_i, *{trailing})")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        missing = longest - s.shape[0]
        widths = [0, 0] * len(trailing)                          # last dim first, as F.pad
        widths += [0, missing] if padding_side == "right" else [missing, 0]
        padded.append(pad(s, tuple(widths), value=padding_value) if missing else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """The inverse of :func:`pad_sequence` (right padding): one ``(L_i, *)`` tensor per
    length."""
    lengths = [int(n) for n in np.asarray(getattr(lengths, "array", lengths)).reshape(-1)]
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(lengths)]


def pack_padded_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(_NO_PACKING.format(name="pack_padded_sequence"))


def pack_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(_NO_PACKING.format(name="pack_sequence"))


def pad_packed_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(_NO_PACKING.format(name="pad_packed_sequence"))
