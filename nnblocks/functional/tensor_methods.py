"""Attach operators and methods to :class:`~nnblocks.core.Tensor`, each one a block.

The core knows no particular block, so the functional layer installs them here, once, at import.
"""

from __future__ import annotations

from typing import Any

from nnblocks.core import Tensor
from nnblocks.functional import activation, compare, math, reduce, shape


def _reflected(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__name__ = f"r{fn.__name__}"
    return method


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    from nnblocks.core import is_grad_enabled

    if self.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"setitem: in-place assignment into a tensor that requires grad (shape {self.shape}) "
            "would corrupt the graph; do it under nb.no_grad() or build a new tensor"
        )
    self.data[shape._unwrap_index(index)] = getattr(value, "data", value)


_METHODS = {
    "__add__": math.add,
    "__radd__": _reflected(math.add),
    "__sub__": math.sub,
    "__rsub__": _reflected(math.sub),
    "__mul__": math.mul,
    "__rmul__": _reflected(math.mul),
    "__truediv__": math.div,
    "__rtruediv__": _reflected(math.div),
    "__pow__": math.pow,
    "__rpow__": _reflected(math.pow),
    "__matmul__": math.matmul,
    "__rmatmul__": _reflected(math.matmul),
    "__neg__": math.neg,
    "__abs__": math.abs,
    "__eq__": compare.eq,
    "__ne__": compare.ne,
    "__lt__": compare.lt,
    "__le__": compare.le,
    "__gt__": compare.gt,
    "__ge__": compare.ge,
    "__getitem__": shape.getitem,
    "__setitem__": _setitem,
    "add": math.add,
    "sub": math.sub,
    "mul": math.mul,
    "div": math.div,
    "neg": math.neg,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": math.abs,
    "clip": math.clip,
    "clamp": math.clip,
    "matmul": math.matmul,
    "maximum": math.maximum,
    "minimum": math.minimum,
    "pow": math.pow,
    "sum": reduce.sum,
    "mean": reduce.mean,
    "max": reduce.max,
    "min": reduce.min,
    "amax": reduce.amax,
    "amin": reduce.amin,
    "var": reduce.var,
    "std": reduce.std,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "reshape": shape.reshape,
    "view": shape.reshape,
    "permute": shape.permute,
    "transpose": shape.transpose,
    "expand": shape.expand,
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "split": shape.split,
    "flatten": shape.flatten,
    "sigmoid": activation.sigmoid,
    "tanh": activation.tanh,
    "relu": activation.relu,
    "softmax": activation.softmax,
    "log_softmax": activation.log_softmax,
}


def install() -> None:
    """Install the operators and methods listed in ``_METHODS`` on :class:`Tensor`."""
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(lambda self: shape.permute(self, *reversed(range(self.ndim))))
