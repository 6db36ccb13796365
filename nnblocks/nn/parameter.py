"""``Parameter``: a tensor a module owns and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import DEFAULT_DTYPE, Tensor


def parameter_dtype(dtype: Any) -> np.dtype:
    """The dtype of a module's new parameters: ``dtype``, or float32 (PyTorch's default) when
    None. The one place the modules' ``dtype=`` argument is read."""
    return DEFAULT_DTYPE if dtype is None else np.dtype(dtype)


class Parameter(Tensor):
    """A leaf tensor registered by a :class:`~nnblocks.nn.Module`; requires grad by default.

    Wraps ``data`` without copying (an array keeps its dtype; Python floats become float32, as
    for :class:`~nnblocks.core.Tensor`). Integer data cannot be a trainable parameter.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)     # lists of floats: float32

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
