"""Result dtypes as PyTorch computes them, where NumPy's rules differ.

A float32 tensor combined with an integer or bool tensor, or with a 0-d float64 tensor, stays
float32; integer data that must become floating (``int / int``, ``int * 0.5``, ``exp(int)``)
becomes float32 (PyTorch's default dtype); NumPy scalars act as Python numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import DEFAULT_DTYPE

#: PyTorch's type categories: a higher category always wins a promotion
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
#: the dtype a Python number takes when its category wins (``torch.get_default_dtype()``)
_SCALAR_DTYPE = {bool: np.dtype(bool), int: np.dtype(np.int64), float: DEFAULT_DTYPE,
                 complex: np.dtype(np.complex64)}
_PYTHON_NUMBERS = (bool, int, float)


def _rank(x: Any) -> tuple[int, int, np.dtype]:
    """``(category, tier, dtype)`` of an operand: tier 2 for arrays with dims, 1 for 0-d arrays,
    0 for Python numbers (which carry no dtype of their own)."""
    if isinstance(x, np.ndarray):
        return _CATEGORY[x.dtype.kind], (2 if x.ndim else 1), x.dtype
    x = _operand(x)                                    # a NumPy scalar acts as a Python number
    kind = type(x) if type(x) in _SCALAR_DTYPE else complex
    dtype = _SCALAR_DTYPE[kind]
    return _CATEGORY[dtype.kind], 0, dtype


def result_dtype(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an element-wise operation on ``operands`` (arrays, Python numbers).

    The highest category (bool < integer < floating < complex) wins; among the operands of that
    category, arrays with dimensions outrank 0-d arrays, which outrank Python numbers; a Python
    number that wins gives the default dtype of its category (float32 for floats).

    >>> result_dtype(np.zeros(2, np.float32), np.zeros(2, np.int64))
    dtype('float32')
    >>> result_dtype(np.zeros(2, np.float32), np.array(1.0))      # a 0-d float64 array
    dtype('float32')
    >>> result_dtype(np.zeros(2, np.int64), 0.5)
    dtype('float32')
    """
    ranks = [_rank(x) for x in operands]
    category = max(r[0] for r in ranks)
    tier = max(r[1] for r in ranks if r[0] == category)
    return np.result_type(*[r[2] for r in ranks if r[0] == category and r[1] == tier])


def promote(a: Any, b: Any, floating: bool = False) -> tuple[Any, Any]:
    """``a`` and ``b`` with their arrays cast to :func:`result_dtype` where NumPy would differ.

    NumPy promotes float32 with int64 (or with a 0-d float64 array) to float64, and int64 with a
    Python float to float64; PyTorch keeps float32 in the first two cases and uses float32 in the
    third. Python numbers stay as they are (NumPy treats them as weak, so the cast arrays decide).
    ``floating=True`` (true division) turns an integer or bool result into float32, like PyTorch.
    The common cases (equal dtypes, a floating array with a Python number) return at once.
    """
    if type(a) is np.ndarray:
        if type(b) is np.ndarray:
            if a.dtype == b.dtype and (a.dtype.kind == "f" or not floating):
                return a, b
        elif type(b) in _PYTHON_NUMBERS and a.dtype.kind == "f":
            return a, b
    elif type(b) is np.ndarray and type(a) in _PYTHON_NUMBERS and b.dtype.kind == "f":
        return a, b
    a = _operand(a)
    b = _operand(b)
    dtype = result_dtype(a, b)
    if floating and dtype.kind in "biu":
        dtype = DEFAULT_DTYPE
    if isinstance(a, np.ndarray) and a.dtype != dtype:
        a = a.astype(dtype)
    if isinstance(b, np.ndarray) and b.dtype != dtype:
        b = b.astype(dtype)
    return a, b


def _operand(x: Any) -> Any:
    """An array or a Python number: NumPy scalars become Python numbers (as in
    :meth:`Block.apply`, so they never widen a tensor), lists and other array-likes arrays."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (np.ndarray, *_PYTHON_NUMBERS, complex)):
        return x
    return np.asarray(x)


def as_floating(x: Any) -> Any:
    """Integer or bool data as float32 (PyTorch's default dtype) for exp, log, sqrt."""
    x = np.asarray(x)
    return x.astype(DEFAULT_DTYPE) if x.dtype.kind in "biu" else x
