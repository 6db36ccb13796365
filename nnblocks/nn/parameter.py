"""``Parameter``: a tensor a module owns and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor


class Parameter(Tensor):
    """A leaf tensor registered by a :class:`~nnblocks.nn.Module`; requires grad by default.

    Wraps ``data`` without copying. Integer data cannot be a trainable parameter.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(np.asarray(data), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
