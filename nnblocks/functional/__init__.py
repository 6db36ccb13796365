"""Tensor-level functions, each applying one block: ``import nnblocks.functional as F``."""

from nnblocks.functional import tensor_methods as _tensor_methods
from nnblocks.functional.compare import eq, ge, gt, le, lt, ne
from nnblocks.functional.math import (
    abs,
    add,
    clamp,
    clip,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from nnblocks.functional.reduce import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from nnblocks.functional.shape import (
    broadcast_to,
    cat,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view,
)

_tensor_methods.install()

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "broadcast_to", "cat", "clamp", "clip",
    "concatenate", "div", "eq", "exp", "expand", "flatten", "ge", "getitem", "gt", "le", "log",
    "lt", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "ne", "neg", "pad",
    "permute", "pow", "reshape", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum",
    "transpose", "unsqueeze", "var", "view", "where",
]
