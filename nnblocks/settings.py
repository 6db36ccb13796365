"""Process-wide switches PyTorch programs set at the top: threads, determinism, matmul
precision, ``torch.compile``, the default dtype.

Each does what its PyTorch namesake means for a CPU library computing in float32/float64:

- :func:`set_num_threads` sets the threads of nnblocks' compiled kernels and of NumPy's BLAS;
- nnblocks is deterministic already (the same inputs and settings give the same bits, see
  ARCHITECTURE.md), so :func:`use_deterministic_algorithms` only records the request;
- float32 products are always computed in float32 (``'highest'``); the lower settings allow
  TF32/bfloat16 on accelerators only, so they are recorded and change nothing;
- :func:`compile` returns the model (or function) itself: there is no graph compiler, and the
  results are the same;
- the default dtype is float32; :func:`set_default_dtype` refuses any other, saying what to
  write instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import DEFAULT_DTYPE, Tensor
from nnblocks.kernels import threads as _threads

__all__ = ["are_deterministic_algorithms_enabled", "compile", "get_default_dtype",
           "get_float32_matmul_precision", "get_num_threads", "is_floating_point",
           "set_default_dtype", "set_float32_matmul_precision", "set_num_threads",
           "use_deterministic_algorithms"]

_state: dict[str, Any] = {"deterministic": False, "precision": "highest"}


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for nnblocks' compiled kernels and for NumPy's BLAS (``torch.
    set_num_threads``)."""
    _threads.set_num_threads(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The threads nnblocks' compiled kernels use."""
    return _threads.get_num_threads()


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted and recorded: nnblocks' results never depend on timing or thread count."""
    _state["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def set_float32_matmul_precision(precision: str) -> None:
    """``'highest'``, ``'high'`` or ``'medium'``; nnblocks computes float32 products in float32
    whatever the setting (the others only matter on accelerators)."""
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["precision"]


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,
            backend: Any = "inductor", mode: Any = None, options: Any = None,
            disable: bool = False) -> Any:
    """``torch.compile``: returns ``model`` itself (also as a decorator, with or without
    arguments). nnblocks has no graph compiler; the hot blocks are compiled ahead of time
    (numba), so nothing changes but the function you get back is the one you gave."""
    if model is None:
        return lambda fn: fn
    return model


def get_default_dtype() -> np.dtype:
    """float32, PyTorch's default."""
    return DEFAULT_DTYPE


def set_default_dtype(dtype: Any) -> None:
    """Only float32 (the default) is accepted: nnblocks' default dtype is fixed."""
    if np.dtype(dtype) != DEFAULT_DTYPE:
        raise TypeError(f"set_default_dtype: nnblocks' default dtype is float32 and cannot be "
                        f"changed (got {np.dtype(dtype)}); pass dtype= when making tensors and "
                        "modules (nn.Linear(3, 2, dtype=nb.float64)) or call model.double()")


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input``'s dtype is a floating type."""
    return bool(np.issubdtype(np.asarray(getattr(input, "array", input)).dtype, np.floating))
