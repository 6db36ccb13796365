"""Tensor-level functions, each applying one block: ``import nnblocks.functional as F``.

Importing this package binds Tensor's operators and methods to it (the one late-bound reference
of the core: see :mod:`nnblocks.core.tensor_ops`).
"""

import sys as _sys

from nnblocks.core import tensor_ops as _tensor_ops
from nnblocks.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    maxout,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from nnblocks.functional.activation_extra import (
    glu,
    hardtanh,
    logsigmoid,
    prelu,
    relu6,
    silu,
    softsign,
)
from nnblocks.functional.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
)
from nnblocks.functional.attention import scaled_dot_product_attention
from nnblocks.functional.compare import allclose, eq, ge, gt, le, lt, ne
from nnblocks.functional.conv import conv1d, conv2d, sobel
from nnblocks.functional.conv_transpose import conv_transpose1d, conv_transpose2d
from nnblocks.functional.cumulative import cumprod, cumsum
from nnblocks.functional.dropout import dropout, dropout1d, dropout2d
from nnblocks.functional.einsum import einsum
from nnblocks.functional.embedding import embedding, one_hot
from nnblocks.functional.gather import (
    diag,
    flip,
    gather,
    index_select,
    masked_select,
    movedim,
    repeat_interleave,
    roll,
    unbind,
)
from nnblocks.functional.gru import gru_cell, gru_layer
from nnblocks.functional.index_put import index_put
from nnblocks.functional.interpolate import interpolate, upsample
from nnblocks.functional.kl_div import kl_div
from nnblocks.functional.linear import linear, maxout_linear, perceptron
from nnblocks.functional.local import locally_connected1d, locally_connected2d
from nnblocks.functional.logical import (
    all,
    any,
    equal,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    nonzero,
    numel,
    unique,
)
from nnblocks.functional.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from nnblocks.functional.loss_pointwise import (
    binary_cross_entropy,
    huber_loss,
    l1_loss,
    smooth_l1_loss,
)
from nnblocks.functional.lstm import lstm_cell, lstm_layer
from nnblocks.functional.math import (
    abs,
    add,
    bmm,
    clamp,
    clip,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mm,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from nnblocks.functional.math_extra import clamp_max, clamp_min, dot, outer
from nnblocks.functional.norm import batch_norm, group_norm, layer_norm
from nnblocks.functional.padding import pad
from nnblocks.functional.pointwise import (
    cast,
    ceil,
    clone,
    cos,
    expm1,
    floor,
    log1p,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    square,
)
from nnblocks.functional.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from nnblocks.functional.reduce import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from nnblocks.functional.reduce_extra import logsumexp, median, prod
from nnblocks.functional.rnn import rnn_cell, rnn_layer
from nnblocks.functional.select import (
    argsort,
    masked_fill,
    narrow,
    repeat,
    sort,
    topk,
    tril,
    triu,
)
from nnblocks.functional.shape import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    expand,
    flatten,
    getitem,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view,
)
from nnblocks.functional.similarity import cosine_similarity, normalize
from nnblocks.functional.vector_norms import vector_norm

_tensor_ops.bind_functional(_sys.modules[__name__])

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "broadcast_to", "cat", "clamp", "clip",
    "concatenate", "div", "eq", "exp", "expand", "flatten", "ge", "getitem", "gt", "le", "log",
    "lt", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "ne", "neg", "pad",
    "permute", "pow", "reshape", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum",
    "transpose", "unsqueeze", "var", "view", "where",
]
__all__ += ["conv_transpose1d", "conv_transpose2d", "index_put", "tril", "triu", "vector_norm"]
__all__ += ["gru_cell", "gru_layer", "lstm_cell", "lstm_layer", "rnn_cell", "rnn_layer"]
__all__ += [
    "batch_norm", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "elu", "gelu",
    "group_norm", "layer_norm", "leaky_relu", "linear", "log_softmax", "maxout", "maxout_linear",
    "mse_loss", "nll_loss", "perceptron", "relu", "sigmoid", "softmax", "softplus", "tanh",
]
__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "global_avg_pool2d", "global_max_pool2d",
    "locally_connected1d", "locally_connected2d", "max_pool1d", "max_pool2d", "sobel",
]
__all__ += [
    "binary_cross_entropy", "dropout1d", "dropout2d", "embedding", "huber_loss", "l1_loss",
    "one_hot", "smooth_l1_loss",
]
__all__ += ["allclose", "bmm", "chunk", "mm"]
__all__ += [
    "argsort", "cast", "ceil", "clone", "cos", "expm1", "floor", "log1p", "masked_fill", "narrow",
    "reciprocal", "repeat", "round", "rsqrt", "sign", "sin", "sort", "square", "topk",
]
__all__ += ["interpolate", "upsample"]
__all__ += [
    "all", "any", "clamp_max", "clamp_min", "cumprod", "cumsum", "diag", "dot", "einsum",
    "equal", "flip", "gather", "index_select", "is_tensor", "isclose", "isfinite", "isinf",
    "isnan", "logical_and", "logical_not", "logical_or", "logical_xor", "logsumexp",
    "masked_select", "median", "movedim", "nonzero", "numel", "outer", "prod",
    "repeat_interleave", "roll", "unbind", "unique",
]
__all__ += [
    "cosine_similarity", "glu", "hardtanh", "kl_div", "logsigmoid", "normalize", "prelu",
    "relu6", "scaled_dot_product_attention", "silu", "softsign",
]
