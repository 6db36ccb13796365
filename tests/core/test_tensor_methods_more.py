"""The Tensor methods and top-level functions added for PyTorch programs (indexing, running
sums, logic, more reductions, einsum, in-place activations), each run on PyTorch and on
nnblocks from the same source with the harness of ``test_tensor_methods.py``: values, dtypes,
shapes and gradients must agree."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from tests.core.test_tensor_methods import _a, _distinct
from tests.core.test_tensor_methods import test_method_matches_torch as _matches_torch

X = (_a(3, 4), True)
Y = (_a(3, 4, seed=5), True)
D = (_distinct(3, 5), True)
D_EVEN = (_distinct(4, 6), True)
V3 = (_a(3, seed=1), True)
V4 = (_a(4, seed=2), True)
IDX = (np.array([[0, 2, 2, 1], [3, 0, 1, 1]]), False)
IDX0 = (np.array([[0, 2, 1], [2, 2, 0]]), False)
SEL = (np.array([2, 0, 2]), False)
MASK = (np.array([True, False, True, True]), False)
ZEROS = (np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.0], [2.0, -1.0, 0.5, 4.0]]), True)
SPECIAL = (np.array([1.0, np.nan, np.inf, -np.inf, 0.0]), False)
REPEATED = (np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 7.0]]), False)

ROWS = [
    # ------------------------------------------------------------------ indexing
    ("gather", lambda lib, x, i: x.gather(1, i[:, :3]), [X, IDX]),
    ("gather_dim0", lambda lib, x, i: lib.gather(x, 0, i), [X, IDX0]),
    ("index_select", lambda lib, x, i: x.index_select(1, i), [X, SEL]),
    ("index_select_dim0", lambda lib, x, i: lib.index_select(x, 0, i), [X, SEL]),
    ("masked_select", lambda lib, x, m: x.masked_select(m), [X, MASK]),
    ("masked_select_top", lambda lib, x: lib.masked_select(x, x > 0), [X]),
    ("repeat_interleave", lambda lib, x: x.repeat_interleave(2), [X]),
    ("repeat_interleave_dim", lambda lib, x: x.repeat_interleave(3, dim=0), [X]),
    ("repeat_interleave_counts",
     lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 2]), dim=0), [X]),
    ("flip", lambda lib, x: x.flip(0), [X]),
    ("flip_two", lambda lib, x: x.flip(0, 1), [X]),
    ("flip_top", lambda lib, x: lib.flip(x, [1]), [X]),
    ("roll_flat", lambda lib, x: x.roll(5), [X]),
    ("roll_dim", lambda lib, x: x.roll(-1, 1), [X]),
    ("roll_dims", lambda lib, x: lib.roll(x, (1, 3), (0, 1)), [X]),
    ("unbind", lambda lib, x: x.unbind(1), [X]),
    ("unbind_top", lambda lib, x: lib.unbind(x), [X]),
    ("movedim", lambda lib, x: x.movedim(0, 2), [(_a(2, 3, 4), True)]),
    ("movedim_many", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), [(_a(2, 3, 4), True)]),
    ("moveaxis", lambda lib, x: x.moveaxis(-1, 0), [(_a(2, 3, 4), True)]),
    ("diag_vector", lambda lib, v: lib.diag(v), [V3]),
    ("diag_vector_above", lambda lib, v: v.diag(1), [V3]),
    ("diag_vector_below", lambda lib, v: lib.diag(v, -2), [V3]),
    ("diag_matrix", lambda lib, x: x.diag(), [X]),
    ("diag_matrix_above", lambda lib, x: x.diag(2), [X]),
    ("diag_matrix_below", lambda lib, x: lib.diag(x, -1), [X]),
    ("nonzero", lambda lib, x: x.nonzero(), [ZEROS]),
    ("nonzero_tuple", lambda lib, x: lib.nonzero(x, as_tuple=True), [ZEROS]),
    ("unique", lambda lib, x: lib.unique(x), [REPEATED]),
    ("unique_inverse_counts",
     lambda lib, x: x.unique(return_inverse=True, return_counts=True), [REPEATED]),
    ("where_method", lambda lib, x, y: x.where(x > 0, y), [X, Y]),
    # ------------------------------------------------------------------ running sums, reductions
    ("cumsum", lambda lib, x: x.cumsum(1), [X]),
    ("cumsum_top", lambda lib, x: lib.cumsum(x, dim=0), [X]),
    ("cumsum_dtype", lambda lib, x: x.cumsum(0, dtype=lib.float32), [X]),
    ("cumsum_int", lambda lib, x: (x > 0).cumsum(1), [X]),
    ("cumprod", lambda lib, x: x.cumprod(1), [ZEROS]),
    ("prod", lambda lib, x: x.prod(), [X]),
    ("prod_dim", lambda lib, x: x.prod(1), [ZEROS]),
    ("prod_keepdim", lambda lib, x: lib.prod(x, 0, keepdim=True), [ZEROS]),
    ("prod_int", lambda lib, x: (x > 0).long().prod(1), [X]),
    ("logsumexp", lambda lib, x: x.logsumexp(1), [X]),
    ("logsumexp_keepdim", lambda lib, x: lib.logsumexp(x * 300, (0, 1), keepdim=True), [X]),
    ("logsumexp_minus_inf", lambda lib, x: lib.logsumexp(x, 0),
     [(np.array([[-np.inf, 1.0], [-np.inf, 2.0]]), False)]),
    ("median_all", lambda lib, x: x.median(), [D]),
    ("median_all_even", lambda lib, x: lib.median(x), [D_EVEN]),
    ("median_dim", lambda lib, x: x.median(1), [D]),
    ("median_dim_even", lambda lib, x: lib.median(x, 0, keepdim=True), [D_EVEN]),
    ("clamp_min", lambda lib, x: x.clamp_min(0.1), [X]),
    ("clamp_max", lambda lib, x: lib.clamp_max(x, -0.2), [X]),
    ("clamp_min_tensor", lambda lib, x, y: x.clamp_min(y), [X, Y]),
    ("outer", lambda lib, a, b: lib.outer(a, b), [V3, V4]),
    ("outer_method", lambda lib, a, b: a.outer(b), [V4, V3]),
    ("dot", lambda lib, a, b: a.dot(b), [V3, (_a(3, seed=9), True)]),
    ("dot_top", lambda lib, a, b: lib.dot(a, b), [V3, (_a(3, seed=9), True)]),
    ("einsum_matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [X, (_a(4, 2), True)]),
    ("einsum_list", lambda lib, a, b: lib.einsum("ij,ij->i", [a, b]), [X, Y]),
    ("einsum_trace", lambda lib, x: lib.einsum("ii", x), [(_a(3, 3), True)]),
    ("einsum_attention", lambda lib, q, k: lib.einsum("bhqd,bhkd->bhqk", q, k),
     [(_a(2, 2, 3, 4), True), (_a(2, 2, 5, 4, seed=3), True)]),
    # ------------------------------------------------------------------ tests and logic
    ("isnan", lambda lib, x: (x.isnan(), lib.isnan(x)), [SPECIAL]),
    ("isinf", lambda lib, x: (x.isinf(), lib.isinf(x)), [SPECIAL]),
    ("isfinite", lambda lib, x: (x.isfinite(), lib.isfinite(x)), [SPECIAL]),
    ("any_all", lambda lib, x: ((x > 0).any(), (x > -9).all(), lib.any(x > 1)), [X]),
    ("any_dim", lambda lib, x: x.any(1), [ZEROS]),
    ("all_dim_keepdim", lambda lib, x: lib.all(x, dim=0, keepdim=True), [ZEROS]),
    ("logical", lambda lib, x, y: (x.gt(0).logical_not(), lib.logical_and(x > 0, y > 0),
                                   x.logical_or(y), lib.logical_xor(x > 0, y > 0)), [X, Y]),
    ("isclose", lambda lib, x, y: (lib.isclose(x, y), x.isclose(x + 1e-9)), [X, Y]),
    ("isclose_nan", lambda lib, x: x.isclose(x, equal_nan=True), [SPECIAL]),
    ("equal", lambda lib, x, y: (lib.equal(x, x.clone()), x.equal(y), x.equal(x[:2])),
     [X, Y]),
    ("is_tensor_numel", lambda lib, x: (lib.is_tensor(x), lib.is_tensor(3), lib.numel(x)), [X]),
    # ------------------------------------------------------------------ in place
    ("sigmoid_", lambda lib, x: (x * 1).sigmoid_(), [X]),
    ("tanh_", lambda lib, x: (x * 2).tanh_(), [X]),
    ("abs_", lambda lib, x: (x * 1).abs_(), [X]),
    ("neg_", lambda lib, x: (x + 1).neg_(), [X]),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_new_method_matches_torch(row) -> None:
    _matches_torch(row)


def test_in_place_keeps_the_object_and_refuses_leaves() -> None:
    x = nb.tensor([-1.0, 2.0])
    y = x.abs_()
    assert y is x and x.tolist() == [1.0, 2.0]
    leaf = nb.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="sigmoid_: a leaf tensor"):
        leaf.sigmoid_()


@pytest.mark.parametrize("call, error, message", [
    (lambda: nb.gather(nb.ones(2, 3), 1, nb.tensor([[0.0]])), RuntimeError,
     "gather: expected an integer"),
    (lambda: nb.gather(nb.ones(2, 3), 1, nb.tensor([0, 1])), RuntimeError,
     r"gather: index has 1 dims \(shape \(2,\)\), input has 2"),
    (lambda: nb.index_select(nb.ones(2, 3), 0, nb.tensor([[0]])), IndexError,
     "index_select: index must be 0-D or 1-D"),
    (lambda: nb.masked_select(nb.ones(2, 3), nb.ones(2, 3)), RuntimeError,
     "masked_select: expected a bool mask"),
    (lambda: nb.dot(nb.ones(3), nb.ones(4)), RuntimeError, "dot: the tensors have sizes 3 and 4"),
    (lambda: nb.dot(nb.ones(3, 1), nb.ones(3)), RuntimeError, "dot: expects two 1-D"),
    (lambda: nb.outer(nb.ones(3, 1), nb.ones(3)), RuntimeError, "outer: expects two 1-D"),
    (lambda: nb.einsum("ij,jk->ik", nb.ones(2, 3)), ValueError, "einsum: the equation"),
    (lambda: nb.einsum("ij,jk->ik", nb.ones(2, 3), nb.ones(4, 2)), ValueError,
     r"einsum: .*shapes \(2, 3\), \(4, 2\)"),
    (lambda: nb.einsum("ijk", nb.ones(2, 3)), ValueError, "einsum: subscripts 'ijk' name 3"),
    (lambda: nb.diag(nb.ones(2, 2, 2)), RuntimeError, r"diag: expects a 1-D or 2-D tensor"),
    (lambda: nb.roll(nb.ones(2, 3), (1, 2), 0), RuntimeError, "roll: shifts and dims"),
    (lambda: nb.movedim(nb.ones(2, 3), (0, 1), 0), RuntimeError, "movedim: source"),
    (lambda: nb.repeat_interleave(nb.ones(3), nb.tensor([1, 2])), RuntimeError,
     "repeat_interleave: repeats must be"),
    (lambda: nb.cumsum(nb.ones(3), 2), Exception, "cumsum"),
    (lambda: nb.median(nb.ones(0)), IndexError, "median: cannot take"),
    (lambda: nb.unique(nb.ones(3), dim=0), NotImplementedError, "unique: dim="),
    (lambda: nb.logical_and(nb.ones(2), nb.ones(3)), RuntimeError, "logical_and: shapes"),
])
def test_errors_name_the_function_and_what_was_expected(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()
