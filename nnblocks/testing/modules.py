"""Gradient check of a whole module: w.r.t. its inputs **and** every parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.testing.gradcheck import gradcheck


def check_module(
    module: Any,
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    rng: np.random.Generator | None = None,
    **kwargs: Any,
) -> bool:
    """Gradient-check ``module(*inputs)`` w.r.t. the floating inputs and all parameters.

    The module's floating parameters and buffers are cast to float64 for the check (the module is
    left in float64 afterwards: checks are meant for throwaway copies or tests). Non-tensor or
    integer inputs (e.g. class indices) are passed through as constants.

    >>> import nnblocks as nb
    >>> import nnblocks.nn
    >>> class Scale(nb.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.weight = nb.nn.Parameter(np.array([2.0]))
    ...     def forward(self, x):
    ...         return x * self.weight
    >>> nb.testing.check_module(Scale(), nb.tensor(np.array([1.0, 3.0])))
    True
    """
    module.to(np.float64)
    named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    xs = []
    for x in inputs:
        if isinstance(x, Tensor) and np.issubdtype(x.dtype, np.floating):
            x = Tensor(x.array.astype(np.float64), requires_grad=True)
        xs.append(x)
    n = len(xs)
    names = [f"argument {k}" for k in range(n)] + [f"parameter {name!r}" for name, _ in named]

    def fn(*args: Any) -> Any:
        return module(*args[:n], **kwargs)

    return gradcheck(fn, xs + [p for _, p in named], eps=eps, atol=atol, rtol=rtol, rng=rng,
                     input_names=names)
