"""``default_collate`` / ``default_convert``: a list of examples to a batch, as PyTorch's.

The rules (``torch.utils.data.default_collate``'s):

- tensors and NumPy arrays (numeric) are stacked along a new first axis into one tensor;
- Python floats become a float64 tensor, ints an int64 tensor, bools a bool tensor, NumPy
  scalars a tensor of their dtype;
- strings and bytes are left as a list;
- a dict (mapping) is collated key by key, a namedtuple field by field (same type);
- a tuple or list is collated position by position and gives a **list** (as PyTorch: a
  ``TensorDataset`` batch is ``[x, y]``), after checking every example has the same length.

With ``as_tensor=False`` (nnblocks' option) the leaves stay NumPy arrays.

>>> batch = default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
>>> [type(b).__name__ for b in batch], batch[0].shape, batch[1].dtype
(['Tensor', 'Tensor'], (2, 2), dtype('int64'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnblocks.core import Tensor


def _leaf(array: np.ndarray, as_tensor: bool) -> Any:
    return Tensor(array) if as_tensor else array


def _check_numeric(array: np.ndarray) -> None:
    if array.dtype.kind in "OSUV":
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                        f"dicts or lists; found an array of dtype {array.dtype}")


def default_collate(batch: Sequence[Any], as_tensor: bool = True) -> Any:
    """Stack a list of examples into a batch, as ``torch.utils.data.default_collate``."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _leaf(np.stack([e.array for e in batch]), as_tensor)
    if isinstance(elem, np.ndarray):
        arrays = [np.asarray(e) for e in batch]
        _check_numeric(arrays[0])
        return _leaf(np.stack(arrays), as_tensor)
    if isinstance(elem, np.generic):
        array = np.asarray(batch)
        _check_numeric(array)
        return _leaf(array, as_tensor)
    if isinstance(elem, bool):
        return _leaf(np.asarray(batch, dtype=np.bool_), as_tensor)
    if isinstance(elem, int):
        return _leaf(np.asarray(batch, dtype=np.int64), as_tensor)
    if isinstance(elem, float):
        return _leaf(np.asarray(batch, dtype=np.float64), as_tensor)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        collated = {key: default_collate([e[key] for e in batch], as_tensor) for key in elem}
        if type(elem) is dict:
            return collated
        try:
            return type(elem)(collated)
        except TypeError:                      # a mapping type that cannot be built so
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):           # a namedtuple
        return type(elem)(*(default_collate(list(f), as_tensor) for f in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        return [default_collate(list(field), as_tensor) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


def default_convert(data: Any, as_tensor: bool = True) -> Any:
    """One example converted without batching (``batch_size=None``), as
    ``torch.utils.data.default_convert``: NumPy arrays and scalars become tensors, containers
    are converted element by element, everything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OSUV":
        return _leaf(np.asarray(data), as_tensor)
    if isinstance(data, Mapping):
        return {key: default_convert(value, as_tensor) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d, as_tensor) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d, as_tensor) for d in data]
    if isinstance(data, list):
        return [default_convert(d, as_tensor) for d in data]
    return data
