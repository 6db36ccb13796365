"""``parameters_to_vector`` and ``vector_to_parameters``, as ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.shape import cat, reshape


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (a ``cat`` of ``reshape``
    blocks, so a gradient flows back to each parameter, as in PyTorch)."""
    params = list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: got no parameters")
    return cat([reshape(p, (-1,)) for p in params], 0)


def vector_to_parameters(vec: Any, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' values (not recorded, as
    PyTorch's, which replaces ``param.data``)."""
    values = np.asarray(getattr(vec, "array", vec))
    if values.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D vector, got shape {values.shape}")
    params = list(parameters)
    needed = sum(int(p.array.size) for p in params)
    if values.size != needed:
        raise RuntimeError(f"vector_to_parameters: the vector has {values.size} elements, the "
                           f"parameters need {needed}")
    start = 0
    for p in params:
        n = int(p.array.size)
        p.data = values[start:start + n].reshape(p.array.shape).astype(p.array.dtype)
        start += n
