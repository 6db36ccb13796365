"""Tensor: construction and dtype rules, conversions, gradient bookkeeping, indexing, operators."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Tensor
from tests.conftest import import_torch


# ---------------------------------------------------------------------- nb.tensor dtype rules
@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2.5]], (0.5,)])
def test_python_floats_become_float32(data):
    assert nb.tensor(data).dtype == np.float32


@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2.5]]])
def test_tensor_class_from_python_floats_is_float32_like_torch_tensor(data):
    assert Tensor(data).dtype == np.float32
    assert Tensor(data, requires_grad=True).requires_grad
    assert Tensor(np.zeros(2)).dtype == np.float64              # arrays keep their dtype
    assert Tensor(np.float64(2.0)).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.int64
    torch = import_torch()
    assert Tensor(torch.zeros(2, dtype=torch.float64)).dtype == np.float64   # other arrays too


@pytest.mark.parametrize("data,dtype", [(3, np.int64), ([1, 2], np.int64), (True, np.bool_)])
def test_python_ints_and_bools_keep_their_kind(data, dtype):
    assert nb.tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.uint8])
def test_numpy_arrays_keep_their_dtype(dtype):
    assert nb.tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert nb.tensor(np.float64(2.0)).dtype == np.float64


def test_explicit_dtype_wins():
    assert nb.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert nb.tensor(np.zeros(2), dtype=np.float32).dtype == np.float32


def test_tensor_copies_its_data():
    a = np.zeros(3)
    t = nb.tensor(a)
    a[0] = 7.0
    assert t.array[0] == 0.0
    u = nb.tensor(t)
    t.array[1] = 5.0
    assert u.array[1] == 0.0


def test_as_tensor_returns_the_same_tensor():
    t = nb.tensor([1.0])
    assert nb.as_tensor(t) is t
    assert nb.as_tensor(t, dtype=np.float64) is not t


@pytest.mark.parametrize("make", [
    lambda: nb.tensor([1, 2], requires_grad=True),
    lambda: nb.tensor(np.array([1, 2], dtype=np.int32), requires_grad=True),
    lambda: Tensor(np.array([True]), requires_grad=True),
    lambda: nb.tensor([1, 2]).requires_grad_(),
])
def test_integer_tensor_cannot_require_grad(make):
    with pytest.raises(TypeError, match=r"only floating-point tensors can require gradients, "
                                        r"got dtype (int64|int32|bool)"):
        make()


# ---------------------------------------------------------------------- float32 end to end
OPS_WITH_SCALARS = {
    "mul": lambda x: x * 2.0,
    "rmul": lambda x: 2.0 * x,
    "add_int": lambda x: x + 1,
    "rsub": lambda x: 1.0 - x,
    "div": lambda x: x / 3.0,
    "rdiv": lambda x: 3.0 / x,
    "pow": lambda x: x**2,
    "pow_float": lambda x: x**0.5,
    "rpow": lambda x: 2.0**x,
    "exp_log_sqrt": lambda x: (x.exp() + x.log() + x.sqrt()),
    "mean_var": lambda x: x.mean() + x.var(),
    "maximum": lambda x: nb.maximum(x, 0.5),
    "minimum": lambda x: nb.minimum(x, 0.5),
    "clip": lambda x: x.clip(0.2, 0.8),
    "where": lambda x: nb.where(x > 0.5, x, 0.0),
    "matmul": lambda x: x @ x,
    "max_min": lambda x: x.max() - x.min(),
    "abs_neg": lambda x: abs(-x),
    "index": lambda x: x[[0, 0, 1]] * 1.5,
    "pad_cat": lambda x: nb.cat([nb.functional.pad(x, (1, 1), value=0.5), x]),
}


@pytest.mark.parametrize("name", OPS_WITH_SCALARS)
def test_float32_stays_float32_through_ops_with_python_scalars(name):
    x = nb.tensor([0.25, 0.5, 0.75], requires_grad=True)
    y = OPS_WITH_SCALARS[name](x)
    assert y.dtype == np.float32, name
    y.sum().backward()
    assert x.grad.dtype == np.float32, name


def test_float64_stays_float64():
    x = nb.tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = (x * 2.0 + 1).exp().mean()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_gradient_of_mixed_dtypes_has_each_inputs_dtype():
    a = nb.tensor([1.0, 2.0], requires_grad=True)                      # float32
    b = nb.tensor(np.array([3.0, 4.0]), requires_grad=True)            # float64
    y = (a * b).sum()
    assert y.dtype == np.float64                                       # NumPy promotion
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# ---------------------------------------------------------------------- conversions
def test_detach_shares_data_and_cuts_the_graph():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.array, y.array)


def test_item_and_numeric_conversions():
    t = nb.tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(t) == 2.5 and int(nb.tensor(3)) == 3
    with pytest.raises(ValueError, match="tensor has 2 elements, expected 1"):
        nb.tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(nb.tensor([1.0, 2.0]))


def test_numpy_shares_and_np_array_copies():
    t = nb.tensor([1.0, 2.0])
    assert t.numpy() is t.array
    assert np.shares_memory(np.asarray(t), t.array)
    copy = np.array(t)
    copy[0] = 9.0
    assert t.array[0] == 1.0
    assert np.array(t, dtype=np.float64).dtype == np.float64


def test_properties():
    t = nb.tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.numel() == 24 and len(t) == 2
    assert t.tolist() == np.zeros((2, 3, 4)).tolist()
    with pytest.raises(TypeError, match="0-d"):
        len(nb.tensor(1.0))


def test_repr_shows_dtype_and_grad_fn():
    assert repr(nb.tensor([1.0])) == "tensor([1.])"
    assert "dtype=float64" in repr(nb.tensor(np.ones(1)))
    assert "requires_grad=True" in repr(nb.tensor([1.0], requires_grad=True))
    assert "grad_fn=Mul" in repr(nb.tensor([1.0], requires_grad=True) * 2.0)


def test_float_double_keep_the_gradient_and_astype_detaches():
    x = nb.tensor([1.0], requires_grad=True)
    d = x.double()
    assert d.dtype == np.float64 and d.requires_grad          # as torch: a cast block
    assert x.double().float().dtype == np.float32
    assert not x.astype(np.float64).requires_grad             # NumPy's spelling: detached


# ---------------------------------------------------------------------- gradient bookkeeping
def test_zero_grad_and_accumulation_across_backward_calls():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_grad_is_not_aliased_to_an_upstream_array():
    x = nb.tensor(np.ones(3), requires_grad=True)
    g = np.ones(3)
    x.backward(g)
    x.grad[0] = 5.0
    assert g[0] == 1.0


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = nb.tensor([1.0], requires_grad=True) * 2.0
    assert not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad = False


def test_outputs_of_non_grad_inputs_do_not_require_grad():
    y = nb.tensor([1.0]) * 2.0
    assert not y.requires_grad and y.grad_fn is None


# ---------------------------------------------------------------------- indexing
def test_indexing_gradient_scatter_adds_repeated_indices():
    x = nb.tensor(np.arange(4.0), requires_grad=True)
    y = x[np.array([0, 2, 0, 0, 3])]
    (y * np.array([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 0.0, 2.0, 5.0])


def test_indexing_with_int_slice_and_mask():
    x = nb.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (x[1].sum() + x[:, 1:3].sum() + x[x > 9.5].sum()).backward()
    expected = np.zeros((3, 4))
    expected[1] += 1
    expected[:, 1:3] += 1
    expected[2, 2:] += 1
    np.testing.assert_array_equal(x.grad, expected)


def test_indexing_with_tensor_index_and_list():
    x = nb.tensor(np.arange(5.0), requires_grad=True)
    idx = nb.tensor([4, 4])
    (x[idx].sum() + x[[1, 1, 1]].sum()).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 0.0, 0.0, 2.0])


def test_integers_mixed_with_arrays_index_like_pytorch():
    """x[0, :, [0, 1]]: PyTorch removes the integer axis first (NumPy would give (2, 3))."""
    x = nb.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x[0, :, [0, 1]]
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.array, x.array[0][:, [0, 1]])


def test_setitem_refused_on_tensor_requiring_grad():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"setitem: a leaf tensor that requires grad "
                                           r"\(shape \(2,\)\)"):
        x[0] = 5.0
    with nb.no_grad():
        x[0] = 5.0
    np.testing.assert_array_equal(x.array, [5.0, 2.0])


def test_setitem_on_plain_tensor():
    t = nb.tensor(np.zeros((2, 2)))
    t[:, 1] = nb.tensor(np.array([1.0, 2.0]))
    t[nb.tensor([0])] = 7.0
    np.testing.assert_array_equal(t.array, [[7.0, 7.0], [0.0, 2.0]])


# ---------------------------------------------------------------------- operators
def test_comparisons_are_boolean_and_not_recorded():
    x = nb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 2.0, x >= 2.0, x < 2.0, x <= 2.0, x == 2.0, x != 2.0, 2.0 < x):
        assert r.dtype == np.bool_ and not r.requires_grad and r.grad_fn is None
    np.testing.assert_array_equal((x > 1.5).array, [False, True, True])


def test_tensors_stay_hashable():
    x = nb.tensor([1.0])
    assert {x: 1}[x] == 1


def test_numpy_array_on_the_left_dispatches_to_tensor():
    x = nb.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_rmatmul_and_transpose_property():
    x = nb.tensor(np.eye(2) * 2.0, requires_grad=True)
    y = np.ones((1, 2)) @ x
    assert isinstance(y, Tensor) and y.shape == (1, 2)
    assert x.T.shape == (2, 2) and nb.tensor(np.ones(3)).T.shape == (3,)


def test_arithmetic_methods_match_operators():
    a = nb.tensor(np.array([1.0, 2.0]))
    b = nb.tensor(np.array([4.0, 8.0]))
    for method, expected in [("add", a.array + b.array), ("sub", a.array - b.array),
                             ("mul", a.array * b.array), ("div", a.array / b.array)]:
        np.testing.assert_array_equal(getattr(a, method)(b).array, expected)
    np.testing.assert_array_equal(a.neg().array, -a.array)


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_scalars_do_not_upcast_float32(scalar):
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * scalar, scalar * x, x + scalar, x / scalar, x**scalar):
        assert y.dtype == np.float32


def test_iteration_yields_rows_and_refuses_0d():
    x = nb.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and rows[2].array.tolist() == [4.0, 5.0]
    sum(r.sum() for r in rows).backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 2)))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(nb.tensor(1.0))
