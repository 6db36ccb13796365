"""nnblocks: deep learning as a composition of computing blocks you can see, change and trust.

>>> import nnblocks as nb
>>> x = nb.tensor([[1.0, 2.0]], requires_grad=True)
>>> loss = (x @ x.T).sum()
>>> loss.backward()
>>> x.grad
array([[2., 4.]], dtype=float32)
"""

from nnblocks import functional, nn, optim, testing
from nnblocks._random import default_rng, manual_seed
from nnblocks.core import (
    Block,
    Tensor,
    as_tensor,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from nnblocks.functional import (
    cat,
    exp,
    log,
    matmul,
    maximum,
    mean,
    minimum,
    sqrt,
    stack,
    sum,
    where,
)

__version__ = "0.1.0"

#: subpackages imported on first use (``nb.data``, ``nb.bayes`` ...), keeping ``import nnblocks``
#: light: they pull in tqdm, JSON/file handling or plotting that pure model code never needs
_LAZY_SUBPACKAGES = ("bayes", "data", "demos", "io", "models", "onnx", "train", "viz")


def __getattr__(name: str):
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"nnblocks.{name}")
    raise AttributeError(f"module 'nnblocks' has no attribute '{name}'")

__all__ = [
    "Block",
    "Tensor",
    "as_tensor",
    "cat",
    "default_rng",
    "enable_grad",
    "exp",
    "functional",
    "is_grad_enabled",
    "log",
    "manual_seed",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "nn",
    "no_grad",
    "optim",
    "set_grad_enabled",
    "sqrt",
    "stack",
    "sum",
    "tensor",
    "testing",
    "where",
]
