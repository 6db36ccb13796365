"""Result dtypes of the element-wise primitives follow PyTorch's type promotion, not NumPy's.

NumPy turns float32 with int64 (or with a 0-d float64 array) into float64 and int64 with a Python
float into float64; PyTorch keeps float32 in the first two cases and uses its default dtype,
float32, in the third. A float32 pipeline that meets integer data (labels, counts, masks) must not
silently become float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.functional.promotion import result_dtype
from tests.conftest import import_torch

#: operands by name: (nnblocks value, a function building the torch value)
OPERANDS = {
    "f32": lambda: np.array([1.5, 2.0], dtype=np.float32),
    "f64": lambda: np.array([1.5, 2.0]),
    "i64": lambda: np.array([1, 2]),
    "i32": lambda: np.array([1, 2], dtype=np.int32),
    "bool": lambda: np.array([True, True]),         # no zero: it is also a divisor
    "f64_0d": lambda: np.array(1.5),
    "f32_0d": lambda: np.array(1.5, dtype=np.float32),
    "i64_0d": lambda: np.array(3),
    "py_float": lambda: 0.5,
    "py_int": lambda: 2,
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
    "maximum": (F.maximum, None),
    "where": (lambda a, b: F.where(np.array([True, False]), a, b), None),
}


def _pair(name: str, torch):
    value = OPERANDS[name]()
    if isinstance(value, np.ndarray):
        return nb.tensor(value), torch.from_numpy(value)
    return value, value


@pytest.mark.parametrize("op", BINARY)
def test_binary_result_dtype_matches_torch(op) -> None:
    torch = import_torch()
    fn, torch_fn = BINARY[op]
    if op == "maximum":
        torch_fn = torch.maximum
    elif op == "where":
        def torch_fn(a, b):
            return torch.where(torch.tensor([True, False]), a, b)
    checked = 0
    for left in OPERANDS:
        for right in OPERANDS:
            a, ta = _pair(left, torch)
            b, tb = _pair(right, torch)
            tensors = [x for x in (ta, tb) if isinstance(x, torch.Tensor)]
            if not tensors and op != "where":
                continue                                 # two Python numbers: not a tensor op
            if op == "maximum" and not all(isinstance(x, torch.Tensor) for x in (ta, tb)):
                continue                                 # torch.maximum takes tensors only
            if op == "pow" and "bool" in (left, right):
                continue                                 # torch: pow is undefined for bool
            try:
                expected = torch_fn(ta, tb).dtype
            except RuntimeError:
                continue                                 # torch refuses (e.g. bool - bool)
            got = fn(a, b).dtype
            assert str(got) == str(expected).replace("torch.", ""), (op, left, right)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("fn, torch_name", [(F.exp, "exp"), (F.log, "log"), (F.sqrt, "sqrt")])
def test_unary_float_functions_of_integers_are_float32(fn, torch_name) -> None:
    torch = import_torch()
    for data in (np.array([1, 2]), np.array([True, True])):
        expected = getattr(torch, torch_name)(torch.from_numpy(data)).dtype
        assert str(fn(nb.tensor(data)).dtype) == str(expected).replace("torch.", "")
        assert fn(nb.tensor(data)).dtype == np.float32


def test_float32_meets_integer_data_and_keeps_float32_gradients(rng) -> None:
    x = nb.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    counts = nb.tensor(np.array([1, 2, 3, 4]))
    scale = nb.tensor(np.array(0.5), requires_grad=True)         # a 0-d float64 leaf
    y = (x / counts + x * counts - counts) * scale
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, np.broadcast_to(0.5 * (1 / counts.array + counts.array),
                                                       (3, 4)), rtol=1e-6)
    np.testing.assert_allclose(scale.grad, (x.array / counts.array + x.array * counts.array
                                            - counts.array).sum(), rtol=1e-5)


def test_float64_is_unchanged_and_result_dtype_rules() -> None:
    x = nb.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert (x * nb.tensor(np.array([1, 2], dtype=np.int32))).dtype == np.float64
    assert (x * np.float32(2.0)).dtype == np.float64
    assert result_dtype(np.zeros(2, np.int32), np.array(5)) == np.int32
    assert result_dtype(np.zeros(2, np.int64), np.array(0.5)) == np.float64
    assert result_dtype(np.zeros(2, np.float32), np.zeros(2)) == np.float64
    assert result_dtype(True, 2) == np.int64


def test_blocks_called_directly_treat_numpy_scalars_and_lists_as_apply_does() -> None:
    from nnblocks.functional.math import AddBlock, MulBlock

    f32 = np.ones(2, dtype=np.float32)
    assert AddBlock.forward(f32, np.float64(2.0))[0].dtype == np.float32
    assert MulBlock.forward(np.array([1, 2]), np.float64(0.5))[0].dtype == np.float32
    assert AddBlock.forward(f32, [1, 2])[0].dtype == np.float32
    assert result_dtype(f32, np.float64(1.0)) == np.float32
