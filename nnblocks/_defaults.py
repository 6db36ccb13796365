"""``torch.set_default_device`` / ``torch.get_default_device`` for a CPU-only library: the CPU
is accepted (so the usual ``torch.set_default_device(device)`` line runs), any other device
raises RuntimeError naming it."""

from __future__ import annotations

from typing import Any

from nnblocks.core.dtypes import check_device, device


def set_default_device(value: Any) -> None:
    """Accept ``"cpu"`` (or None, or ``nb.device("cpu")``); refuse any other device."""
    check_device(value, "set_default_device")


def get_default_device() -> device:
    """``device(type='cpu')``: where nnblocks creates every tensor."""
    return device("cpu")
