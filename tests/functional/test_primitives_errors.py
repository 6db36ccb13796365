"""Bad input to a primitive: the exception names the operation and the shapes involved."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F


def t(*shape: int) -> nb.Tensor:
    return nb.tensor(np.ones(shape), requires_grad=True)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": F.maximum,
    "minimum": F.minimum,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
}


@pytest.mark.parametrize("name", BINARY)
def test_binary_shape_mismatch_names_op_and_both_shapes(name):
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be broad"):
        BINARY[name](t(2, 3), t(4))


def test_where_shape_mismatch():
    with pytest.raises(ValueError, match=r"where: condition \(2,\), a \(3,\) and b \(3,\)"):
        F.where(np.ones(2, dtype=bool), t(3), t(3))


def test_matmul_inner_dimension_mismatch():
    with pytest.raises(ValueError, match=r"matmul: .*a \(2, 3\).*b \(4, 5\)"):
        t(2, 3) @ t(4, 5)


def test_matmul_batch_mismatch():
    with pytest.raises(ValueError, match=r"matmul: batch .*a \(2, 2, 3\) and b \(3, 3, 4\)"):
        t(2, 2, 3) @ t(3, 3, 4)


def test_matmul_scalar_operand():
    with pytest.raises(ValueError, match=r"matmul: .*\(\) and \(3,\)"):
        F.matmul(nb.tensor(np.float64(2.0)), t(3))


def test_cat_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(3, 2\), expected \(3, 3\)"
                                         r".*\(2, 3\)"):
        F.cat([t(2, 3), t(3, 2)], dim=0)


def test_cat_ndim_mismatch():
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(3,\)"):
        F.cat([t(2, 3), t(3)], dim=0)


def test_stack_mismatch():
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(2, 4\), expected \(2, 3\)"):
        F.stack([t(2, 3), t(2, 4)])


def test_join_dim_out_of_range():
    with pytest.raises(IndexError, match=r"cat: dim 2 out of range"):
        F.cat([t(2, 3), t(2, 3)], dim=2)


def test_reshape_size_mismatch():
    with pytest.raises(ValueError, match=r"reshape: .*shape \(2, 3\).*into shape \(4, 2\)"):
        t(2, 3).reshape(4, 2)


def test_expand_mismatch():
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(2, 4\)"):
        t(2, 3).expand(2, 4)


def test_expand_minus_one_on_new_axis():
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(3,\) to \(-1, 3\)"):
        t(3).expand(-1, 3)


def test_permute_not_a_permutation():
    with pytest.raises(ValueError, match=r"permute: dims \(0, 1, 5\) .*shape \(2, 3, 4\)"):
        t(2, 3, 4).permute(0, 1, 5)


def test_split_sizes_mismatch():
    with pytest.raises(ValueError, match=r"split: sizes \(2, 2\) sum to 4.*shape \(5, 2\)"):
        F.split(t(5, 2), [2, 2])


def test_pad_odd_length():
    with pytest.raises(ValueError, match=r"pad: "):
        F.pad(t(2, 3), (1, 2, 3))


def test_getitem_out_of_range_names_shape():
    with pytest.raises(IndexError, match=re.escape("(tensor of shape (2, 3))")):
        t(2, 3)[5]


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
def test_reduction_dim_out_of_range(name):
    with pytest.raises(IndexError, match=rf"{name}: dim 3 is out of range .* 2 dims"):
        getattr(t(2, 3), name)(3)


def test_reduction_repeated_dim():
    with pytest.raises(ValueError, match=r"sum: dim \(0, -2\) repeats an axis"):
        t(2, 3).sum((0, -2))


def test_var_without_degrees_of_freedom():
    with pytest.raises(ValueError, match=r"var: 1 element\(s\) over dim 0 with correction=1"):
        t(1, 3).var(0)


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match=r"clip: at least one of min and max"):
        F.clip(t(2))


def test_mean_of_integers_names_dtype():
    with pytest.raises(TypeError, match=r"mean: .*dtype int64"):
        nb.tensor([1, 2, 3]).mean()


def test_max_of_empty_tensor():
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(0, 2\)"):
        nb.tensor(np.ones((0, 2))).max()


def test_transpose_dim_out_of_range():
    with pytest.raises(IndexError, match=r"transpose: dim 3 is out of range .* 2 dims"):
        F.transpose(t(2, 3), 0, 3)


def test_split_dim_out_of_range():
    with pytest.raises(IndexError, match=r"split: dim -3 is out of range .* 2 dims"):
        F.split(t(2, 3), 1, dim=-3)
