"""Tensor methods PyTorch code uses every day, each run on PyTorch and on nnblocks from the same
source (``lib`` is ``torch`` or ``nnblocks``): values, dtypes, shapes and gradients must agree.

Each row: ``(id, fn(lib, *tensors), inputs)``; inputs are ``(array, requires_grad)`` pairs. The
outputs (a tensor, a tuple of them, or Python values) are compared element by element; the
gradients of ``sum(output * u)`` (u random, the same for both) w.r.t. every input that requires
grad are compared too.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import nnblocks as nb
from tests.conftest import import_torch


def _a(*shape: int, seed: int = 0, dtype: str = "float64") -> np.ndarray:
    rng = np.random.default_rng(seed + 7 * len(shape))
    return rng.standard_normal(shape).astype(dtype)


def _distinct(*shape: int) -> np.ndarray:
    """Values without ties (sort, topk, argmax agree on indices)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(n).permutation(n).reshape(shape) * 0.37 - 1.0)


def _pos(*shape: int) -> np.ndarray:
    return np.abs(_a(*shape)) + 0.5


def _steps(*shape: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    frac = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)   # off the jumps
    return rng.integers(-3, 3, shape) + frac


def _method(name: str, *args):
    return lambda lib, x, *others: getattr(x, name)(*args, *others)


def _top_level(name: str):
    return lambda lib, x: getattr(lib, name)(x)


X = (_a(3, 4), True)
D = (_distinct(3, 5), True)
P = (_pos(3, 4), True)

ROWS = [
    # ------------------------------------------------------------------ shape queries
    ("size", lambda lib, x: tuple(x.size()), [X]),
    ("size_dim", lambda lib, x: (x.size(0), x.size(-1)), [X]),
    ("numel_dim", lambda lib, x: (x.numel(), x.dim(), len(x)), [X]),
    # ------------------------------------------------------------------ views and copies
    ("view", lambda lib, x: x.view(2, 6), [X]),
    ("view_minus_one", lambda lib, x: x.view(-1), [X]),
    ("view_as", lambda lib, x, y: x.view_as(y), [X, (_a(6, 2), False)]),
    ("reshape_tuple", lambda lib, x: x.reshape((4, 3)), [X]),
    ("flatten", lambda lib, x: x.flatten(1), [(_a(2, 3, 4), True)]),
    ("t", lambda lib, x: x.t(), [X]),
    ("T", lambda lib, x: x.T, [X]),
    ("permute", lambda lib, x: x.permute(2, 0, 1), [(_a(2, 3, 4), True)]),
    ("transpose", lambda lib, x: x.transpose(0, 2), [(_a(2, 3, 4), True)]),
    ("contiguous", lambda lib, x: x.t().contiguous() * 2, [X]),
    ("clone", lambda lib, x: x.clone() * x, [X]),
    ("detach", lambda lib, x: x.detach() * x, [X]),
    ("narrow", lambda lib, x: x.narrow(1, 1, 2), [X]),
    ("unsqueeze", lambda lib, x: x.unsqueeze(1), [X]),
    ("squeeze", lambda lib, x: x.squeeze(), [(_a(3, 1, 4, 1), True)]),
    ("squeeze_dim", lambda lib, x: x.squeeze(1), [(_a(3, 1, 4, 1), True)]),
    ("expand", lambda lib, x: x.expand(2, 3, 4), [(_a(3, 1), True)]),
    ("expand_as", lambda lib, x, y: x.expand_as(y), [(_a(1, 4), True), X]),
    ("repeat", lambda lib, x: x.repeat(2, 3), [(_a(2, 3), True)]),
    ("repeat_new_dims", lambda lib, x: x.repeat(2, 1, 2), [(_a(2, 3), True)]),
    ("new_zeros", lambda lib, x: x.new_zeros(2, 3), [X]),
    ("new_ones", lambda lib, x: x.new_ones((2,)), [(_a(3, dtype="float32"), False)]),
    ("new_full", lambda lib, x: x.new_full((2, 2), 7), [X]),
    ("new_tensor", lambda lib, x: x.new_tensor([1, 2]), [(_a(3, dtype="float32"), False)]),
    ("new_empty_shape", lambda lib, x: (tuple(x.new_empty(4, 2).shape),
                                        str(x.new_empty(4).dtype)[-7:]), [X]),
    # ------------------------------------------------------------------ comparisons
    *[(op, _method(op), [X, (_a(3, 4, seed=1), False)])
      for op in ("eq", "ne", "lt", "le", "gt", "ge")],
    ("eq_scalar", lambda lib, x: (x.round() == 0), [X]),
    # ------------------------------------------------------------------ reductions
    ("norm", lambda lib, x: x.norm(), [X]),
    ("norm_p1_dim", lambda lib, x: x.norm(p=1, dim=1), [X]),
    ("norm_fro_keepdim", lambda lib, x: x.norm("fro", dim=0, keepdim=True), [X]),
    ("norm_p3", lambda lib, x: x.norm(3), [X]),
    ("mm", lambda lib, x, y: x.mm(y), [X, (_a(4, 2), True)]),
    ("argmax", lambda lib, x: x.argmax(), [D]),
    ("argmax_dim", lambda lib, x: x.argmax(1), [D]),
    ("argmax_keepdim", lambda lib, x: x.argmax(dim=0, keepdim=True), [D]),
    ("max_dim", lambda lib, x: tuple(x.max(1)), [D]),
    ("min_dim_keepdim", lambda lib, x: tuple(x.min(0, keepdim=True)), [D]),
    ("max_all", lambda lib, x: x.max(), [D]),
    ("sum_dim_keepdim", lambda lib, x: x.sum(1, keepdim=True), [X]),
    ("sum_dims", lambda lib, x: x.sum((0, 2)), [(_a(2, 3, 4), True)]),
    ("sum_dtype", lambda lib, x: x.sum(dtype=lib.float64), [(_a(3, dtype="float32"), True)]),
    ("mean_dim", lambda lib, x: x.mean(0), [X]),
    ("mean_keepdim", lambda lib, x: x.mean(-1, keepdim=True), [X]),
    ("std", lambda lib, x: x.std(), [X]),
    ("std_dim_unbiased_false", lambda lib, x: x.std(1, unbiased=False), [X]),
    ("var_positional", lambda lib, x: x.var(1, False, True), [X]),
    ("var_correction", lambda lib, x: x.var(0, correction=0), [X]),
    ("var_unbiased_only", lambda lib, x: x.var(False), [X]),
    ("topk", lambda lib, x: tuple(x.topk(2)), [D]),
    ("topk_smallest_dim0", lambda lib, x: tuple(x.topk(2, dim=0, largest=False)), [D]),
    ("top_level_topk", lambda lib, x: tuple(lib.topk(x, 3)), [D]),
    ("sort", lambda lib, x: tuple(x.sort()), [D]),
    ("sort_descending_dim0", lambda lib, x: tuple(x.sort(0, descending=True)), [D]),
    ("top_level_sort", lambda lib, x: tuple(lib.sort(x, dim=1)), [D]),
    ("argsort", lambda lib, x: x.argsort(), [D]),
    ("argsort_descending", lambda lib, x: x.argsort(dim=0, descending=True), [D]),
    ("masked_fill", lambda lib, x: x.masked_fill(x > 0.5, -1.0), [X]),
    ("masked_fill_broadcast_mask", lambda lib, x, m: x.masked_fill(m > 0, 0.0),
     [X, (_a(4), False)]),
    ("top_level_masked_fill", lambda lib, x: lib.masked_fill(x, x < 0, 2.0), [X]),
    ("softmax", lambda lib, x: x.softmax(0), [X]),
    ("softmax_dim_kw", lambda lib, x: x.softmax(dim=-1), [X]),
    # ------------------------------------------------------------------ element-wise
    *[(name, _method(name), [inp])
      for name, inp in (("sin", X), ("cos", X), ("log1p", P), ("expm1", X), ("square", X),
                        ("rsqrt", P), ("reciprocal", P), ("sign", (_steps(3, 4), True)),
                        ("floor", (_steps(3, 4), True)), ("ceil", (_steps(3, 4), True)),
                        ("round", (_steps(3, 4), True)), ("exp", X), ("sqrt", P),
                        ("abs", X), ("sigmoid", X), ("tanh", X), ("relu", X))],
    *[("top_level_" + name, _top_level(name), [inp])
      for name, inp in (("sin", X), ("cos", X), ("log1p", P), ("expm1", X), ("square", X),
                        ("rsqrt", P), ("reciprocal", P), ("sign", (_steps(3, 4), True)),
                        ("floor", (_steps(3, 4), True)), ("ceil", (_steps(3, 4), True)),
                        ("round", (_steps(3, 4), True)), ("clone", X))],
    ("reciprocal_int", lambda lib, x: x.reciprocal(), [(np.array([1, 2, 4]), False)]),
    ("add_alpha", lambda lib, x, y: x.add(y, alpha=2), [X, (_a(3, 4, seed=2), True)]),
    ("sub_alpha", lambda lib, x, y: x.sub(y, alpha=0.5), [X, (_a(4, seed=2), True)]),
    # ------------------------------------------------------------------ dtype conversions
    ("to_float32", lambda lib, x: x.to(lib.float32) * 2, [X]),
    ("to_float64", lambda lib, x: x.to(lib.float64) * 2, [(_a(3, 4, dtype="float32"), True)]),
    ("to_dtype_kw", lambda lib, x: x.to(dtype=lib.float32), [X]),
    ("to_device_dtype", lambda lib, x: x.to("cpu", lib.float32), [X]),
    ("to_other", lambda lib, x, y: x.to(y), [X, (_a(2, dtype="float32"), False)]),
    ("float", lambda lib, x: x.float() + 1, [X]),
    ("double", lambda lib, x: x.double() * x.double(), [(_a(3, 4, dtype="float32"), True)]),
    ("type_dtype", lambda lib, x: x.type(lib.float32), [X]),
    ("type_string", lambda lib, x: x.type(), [X]),
    ("type_as", lambda lib, x, y: x.type_as(y), [X, (_a(2, dtype="float32"), False)]),
    ("long", lambda lib, x: x.long(), [(_a(3, 4) * 3, True)]),
    ("int", lambda lib, x: x.int(), [(_a(3, 4) * 3, True)]),
    ("bool", lambda lib, x: x.bool(), [(np.array([0.0, 1.5, -2.0]), True)]),
    ("long_then_float", lambda lib, x: x.long().float(), [(_a(3) * 3, False)]),
    # ------------------------------------------------------------------ Python values
    ("item", lambda lib, x: x.sum().item(), [X]),
    ("tolist", lambda lib, x: x.tolist(), [(np.arange(6.0).reshape(2, 3), False)]),
    ("numpy", lambda lib, x: x.detach().numpy().sum(), [X]),
    ("int_float_bool", lambda lib, x: (int(x[1]), float(x[1]), bool(x[0])),
     [(np.array([0.0, 2.5]), False)]),
    ("index", lambda lib, i: [10, 20, 30][i], [(np.array(2), False)]),
    ("index_range", lambda lib, i: list(range(i)), [(np.array(3), False)]),
    ("format", lambda lib, x: f"{x.sum():.4f}|{x.sum():>10.2e}", [X]),
    ("requires_grad_", lambda lib, x: x.requires_grad_().requires_grad, [X]),
]


def _to_torch(torch, array, grad):
    return torch.tensor(array, requires_grad=grad)


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _flatten(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) and out and hasattr(out[0], "shape") \
        else [out]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_method_matches_torch(row) -> None:
    torch = import_torch()
    name, fn, inputs = row
    ours_in = [nb.tensor(a, requires_grad=g) for a, g in inputs]
    theirs_in = [_to_torch(torch, a, g) for a, g in inputs]
    ours = _flatten(fn(nb, *ours_in))
    theirs = _flatten(fn(torch, *theirs_in))
    assert len(ours) == len(theirs), name
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    total, t_total = None, None
    for o, t in zip(ours, theirs):
        if not isinstance(t, torch.Tensor):
            assert o == t, f"{name}: {o!r} != {t!r}"
            continue
        assert isinstance(o, nb.Tensor), f"{name}: expected a tensor, got {type(o).__name__}"
        assert o.shape == tuple(t.shape), name
        assert o.dtype.name == _dtype_name(t.dtype), f"{name}: {o.dtype} vs {t.dtype}"
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=name)
        assert o.requires_grad == t.requires_grad, name
        if t.requires_grad:
            u = rng.standard_normal(o.shape)
            term = (o * nb.tensor(u).to(o.dtype)).sum()
            t_term = (t * torch.from_numpy(u).to(t.dtype)).sum()
            total = term if total is None else total + term
            t_total = t_term if t_total is None else t_total + t_term
    if total is None:
        return
    total.backward()
    t_total.backward()
    for x, t in zip(ours_in, theirs_in):
        if t.requires_grad and t.grad is not None:
            assert x.grad is not None, name
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-10,
                                       err_msg=name)


# ---------------------------------------------------------------------- differences that raise
def test_half_is_refused_saying_what_to_write() -> None:
    x = nb.tensor([1.0])
    for convert in (x.half, lambda: x.to(nb.float16)):
        with pytest.raises(TypeError, match=r"float16 is not supported.*\.float\(\)"):
            convert()


def test_other_devices_are_refused() -> None:
    with pytest.raises(RuntimeError, match="nnblocks runs on the CPU; got 'cuda'"):
        nb.tensor([1.0]).to("cuda")


def test_index_refuses_floats_and_several_elements() -> None:
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][nb.tensor(1.0)]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        range(nb.tensor([1, 2]))


def test_format_spec_needs_a_zero_dim_tensor_as_torch() -> None:
    torch = import_torch()
    assert f"{nb.tensor(3.14159):.2f}" == f"{torch.tensor(3.14159):.2f}" == "3.14"
    for lib in (nb, torch):
        with pytest.raises(TypeError):
            f"{lib.tensor([1.0, 2.0]):.2f}"


def test_size_is_a_method_and_numel_counts() -> None:
    x = nb.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.size(2)


def test_t_refuses_three_dims() -> None:
    with pytest.raises(RuntimeError, match="t: expects a tensor with <= 2 dims"):
        nb.zeros(2, 3, 4).t()


def test_to_returns_self_when_nothing_changes() -> None:
    x = nb.tensor([1.0])
    assert x.to(nb.float32) is x and x.to("cpu") is x and x.contiguous() is x
    assert x.to(nb.float32, copy=True) is not x


@pytest.mark.parametrize("p", [2, 1, 3, "fro"])
def test_norm_at_zero_has_pytorchs_zero_gradient(p) -> None:
    """sqrt(sum(x²)) would give 0/0 = NaN at x = 0; PyTorch's norm gives the subgradient 0,
    also for a zero row next to non-zero rows."""
    torch = import_torch()
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    grads = []
    for lib in (nb, torch):
        t = lib.tensor(x, requires_grad=True)
        t.norm(p, dim=1).sum().backward()
        grads.append(np.asarray(t.grad.detach().numpy() if lib is torch else t.grad.array))
    assert np.isfinite(grads[0]).all()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_every_public_name_exists() -> None:
    for module in (nb, nb.nn.functional, nb.linalg):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module.__name__}.__all__ lists missing names {missing}"
    with pytest.raises(NotImplementedError, match="matrix norms"):
        nb.linalg.norm(nb.ones(2, 2), 2)
    with pytest.raises(ValueError, match="positive finite"):
        nb.ones(3).norm(float("inf"))


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("diagonal", [0, 1, -2])
def test_tril_triu_as_torch(name, diagonal) -> None:
    torch = import_torch()
    x = np.random.default_rng(3).standard_normal((2, 4, 5))
    ours = nb.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = getattr(nb, name)(ours, diagonal), getattr(theirs, name)(diagonal)
    np.testing.assert_array_equal(y.array, ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())
    with pytest.raises(RuntimeError, match=f"{name}: expects a tensor with at least 2 dims"):
        getattr(nb, name)(nb.ones(3))
