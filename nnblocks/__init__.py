"""nnblocks: deep learning as a composition of computing blocks you can see, change and trust.

>>> import nnblocks as nb
>>> x = nb.tensor([[1.0, 2.0]], requires_grad=True)
>>> loss = (x @ x.T).sum()
>>> loss.backward()
>>> x.grad
tensor([[2., 4.]])
"""

from nnblocks import accelerator, autograd, backends, cuda, functional, linalg, nn, optim, testing
from nnblocks._defaults import get_default_device as get_default_device
from nnblocks._defaults import set_default_device as set_default_device
from nnblocks._random import Generator as Generator
from nnblocks._random import default_rng, manual_seed
from nnblocks.core import (
    Block,
    Tensor,
    as_tensor,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from nnblocks.core.creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from nnblocks.core.dtypes import ALIASES as _DTYPE_ALIASES
from nnblocks.core.dtypes import (
    bool_,
    channels_last,
    channels_last_3d,
    complex64,
    complex128,
    contiguous_format,
    device,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    memory_format,
    preserve_format,
    uint8,
)
from nnblocks.core.tensor import tensor
from nnblocks.functional import (
    abs,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clone,
    cos,
    cumprod,
    cumsum,
    diag,
    div,
    dot,
    einsum,
    eq,
    equal,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    gather,
    ge,
    gt,
    index_select,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    median,
    min,
    minimum,
    mm,
    movedim,
    mul,
    narrow,
    ne,
    neg,
    nonzero,
    numel,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    repeat_interleave,
    reshape,
    roll,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unbind,
    unique,
    unsqueeze,
    var,
    where,
)
from nnblocks.functional.vector_norms import norm
from nnblocks.settings import (
    are_deterministic_algorithms_enabled,
    compile,
    get_default_dtype,
    get_float32_matmul_precision,
    get_num_threads,
    is_floating_point,
    set_default_dtype,
    set_float32_matmul_precision,
    set_num_threads,
    use_deterministic_algorithms,
)

__version__ = "0.1.0"

# PyTorch's other dtype names: nb.float, nb.double, nb.half, nb.long, nb.int, nb.short, nb.bool,
# nb.cfloat, nb.cdouble (set here, not imported by name, so this module's own code keeps
# Python's float, int and bool)
globals().update(_DTYPE_ALIASES)

#: subpackages imported on first use (``nb.data``, ``nb.bayes`` ...), keeping ``import nnblocks``
#: light: they pull in tqdm, JSON/file handling or plotting that pure model code never needs
_LAZY_SUBPACKAGES = ("bayes", "data", "demos", "io", "models", "onnx", "train", "viz")


def save(obj, f) -> None:
    """Save a state dict (or nested tensors and plain values) like ``torch.save``, without
    pickle: see :func:`nnblocks.io.save`."""
    from nnblocks.io import save as _save

    _save(obj, f)


def load(f, map_location=None, weights_only=None, **kwargs):
    """Load what :func:`save` or ``torch.save`` wrote (state dicts), without PyTorch and
    without unpickling: see :func:`nnblocks.io.load`."""
    from nnblocks.io import load as _load

    return _load(f, map_location=map_location, weights_only=weights_only, **kwargs)


def __getattr__(name: str):
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"nnblocks.{name}")
    raise AttributeError(f"module 'nnblocks' has no attribute '{name}'")

__all__ = [
    "abs",
    "accelerator",
    "allclose",
    "arange",
    "argmax",
    "argmin",
    "as_tensor",
    "autograd",
    "backends",
    "Block",
    "bmm",
    "bool",
    "bool_",
    "cat",
    "cdouble",
    "cfloat",
    "chunk",
    "clamp",
    "complex128",
    "complex64",
    "cuda",
    "default_rng",
    "device",
    "double",
    "empty",
    "empty_like",
    "enable_grad",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "half",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_grad_enabled",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "mm",
    "nn",
    "no_grad",
    "inference_mode",
    "is_inference_mode_enabled",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "pow",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "relu",
    "reshape",
    "save",
    "set_grad_enabled",
    "short",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "sum",
    "tanh",
    "Tensor",
    "tensor",
    "testing",
    "linalg",
    "transpose",
    "uint8",
    "unsqueeze",
    "where",
    "zeros",
    "zeros_like",
]
__all__ += [
    "add", "amax", "amin", "argsort", "ceil", "clone", "cos", "div", "eq", "expm1", "floor", "ge",
    "gt", "le", "log1p", "lt", "masked_fill", "max", "min", "mul", "narrow", "ne", "neg", "norm",
    "reciprocal", "round", "rsqrt", "sign", "sin", "sort", "square", "std", "sub", "topk", "var",
    "tril", "triu", "memory_format", "preserve_format", "contiguous_format", "channels_last",
    "channels_last_3d", "are_deterministic_algorithms_enabled", "compile", "get_default_dtype",
    "get_float32_matmul_precision", "get_num_threads", "is_floating_point", "set_default_dtype",
    "set_float32_matmul_precision", "set_num_threads", "use_deterministic_algorithms",
]
__all__ += [
    "all", "any", "clamp_max", "clamp_min", "cumprod", "cumsum", "diag", "dot", "einsum",
    "equal", "flip", "gather", "index_select", "is_tensor", "isclose", "isfinite", "isinf",
    "isnan", "logical_and", "logical_not", "logical_or", "logical_xor", "logsumexp",
    "masked_select", "median", "movedim", "nonzero", "numel", "outer", "prod",
    "repeat_interleave", "roll", "unbind", "unique",
]
