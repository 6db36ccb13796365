"""Split nested state (dicts, lists, numbers, arrays) into a JSON structure plus named arrays.

``flatten(state, "optimizer", arrays)`` returns a JSON-able tree in which every array is replaced
by ``{"__array__": "<name>"}`` and stored in ``arrays[name]``; ``unflatten(tree, arrays)`` puts
them back. Python floats travel in JSON (``repr`` round-trips them exactly); NumPy scalars travel
as 0-d arrays so their dtype survives; tuples, and dicts with non-string keys (an optimizer's
``state`` is keyed by parameter index), get a small tagged form. Nothing here uses pickle.

>>> arrays = {}
>>> tree = flatten({"step": 3, "m": np.zeros(2), 0: (1.5, None)}, "opt", arrays)
>>> sorted(arrays), unflatten(tree, arrays)["m"].shape, unflatten(tree, arrays)[0]
(['opt/m'], (2,), (1.5, None))
"""

from __future__ import annotations

from typing import Any

import numpy as np

ARRAY = "__array__"
SCALAR = "__scalar__"
TUPLE = "__tuple__"
ITEMS = "__items__"
_TAGS = (ARRAY, SCALAR, TUPLE, ITEMS)


def flatten(obj: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON-able form of ``obj``; arrays are moved into ``arrays`` under names below ``name``."""
    if obj is None or isinstance(obj, (bool, int, float, str)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, np.generic):
        return {SCALAR: _store(np.asarray(obj), name, arrays)}
    if isinstance(obj, np.ndarray) or hasattr(obj, "__array__") and hasattr(obj, "numpy"):
        return {ARRAY: _store(np.asarray(obj), name, arrays)}
    if isinstance(obj, tuple):
        return {TUPLE: [flatten(v, f"{name}/{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [flatten(v, f"{name}/{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(k in _TAGS for k in obj):
            return {k: flatten(v, f"{name}/{k}", arrays) for k, v in obj.items()}
        return {ITEMS: [[flatten(k, f"{name}/key{i}", arrays), flatten(v, f"{name}/{k}", arrays)]
                        for i, (k, v) in enumerate(obj.items())]}
    raise TypeError(
        f"checkpoint: cannot store a {type(obj).__name__} at '{name}' "
        "(only dicts, lists, tuples, numbers, strings, None and arrays)"
    )


def _store(array: np.ndarray, name: str, arrays: dict[str, np.ndarray]) -> str:
    if array.dtype.hasobject:
        raise TypeError(f"checkpoint: '{name}' is an object array; only numeric arrays are stored")
    if name in arrays:
        raise ValueError(f"checkpoint: two entries would be stored as '{name}'")
    arrays[name] = array
    return name


def unflatten(tree: Any, arrays: Any) -> Any:
    """Inverse of :func:`flatten`: ``arrays`` maps names to arrays (a dict or an open npz)."""
    if isinstance(tree, list):
        return [unflatten(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if ARRAY in tree:
        return arrays[tree[ARRAY]]
    if SCALAR in tree:
        return arrays[tree[SCALAR]][()]
    if TUPLE in tree:
        return tuple(unflatten(v, arrays) for v in tree[TUPLE])
    if ITEMS in tree:
        return {_hashable(unflatten(k, arrays)): unflatten(v, arrays) for k, v in tree[ITEMS]}
    return {k: unflatten(v, arrays) for k, v in tree.items()}


def array_names(tree: Any) -> list[str]:
    """Every array name a flattened tree refers to."""
    names: list[str] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if ARRAY in node:
                names.append(node[ARRAY])
            elif SCALAR in node:
                names.append(node[SCALAR])
            else:
                pending.extend(node.values())
    return names


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
