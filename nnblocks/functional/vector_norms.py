"""Vector p-norms over any axes, as ``torch.linalg.vector_norm`` and ``Tensor.norm``.

One block instead of a composition: ``sqrt(sum(x * x))`` would divide by zero in backward at
``x = 0``, where PyTorch's gradient (a subgradient) is 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.dims import Dims
from nnblocks.functional.reduce import _expand_back, _reduced_dims

Array = np.ndarray


class VectorNormBlock(Block):
    r"""The p-norm of ``x`` over ``dim`` (all axes when None), for a finite ``p > 0``.

    .. math::
        y = \Big(\sum_i |x_i|^p\Big)^{1/p}, \qquad
        g_{x_i} = g_y\, \frac{\operatorname{sign}(x_i)\, |x_i|^{p-1}}{y^{p-1}}
        \quad (p = 2:\ g_y\, x_i / y;\ p = 1:\ g_y \operatorname{sign}(x_i)),

    and :math:`g_x = 0` where :math:`y = 0` (PyTorch's subgradient; the formula is 0/0 there).
    Saves the input and the output.

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    saves_output = True

    @staticmethod
    def forward(x: Array, *, p: float = 2.0, dim: Dims = None, keepdim: bool = False
                ) -> tuple[Array, tuple]:
        dims = _reduced_dims("norm", dim, x.ndim)
        if p == 2:
            y = np.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            y = np.abs(x).sum(axis=dims, keepdims=keepdim)
        else:
            y = (np.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        y = np.asarray(y, dtype=x.dtype)
        return y, (x, y, p, dims, keepdim)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        x, y, p, dims, keepdim = saved
        y_full = _expand_back(y, x.shape, dims, keepdim)                     # x.shape
        g_full = _expand_back(gy, x.shape, dims, keepdim)                    # x.shape
        if p == 1:
            return (g_full * np.sign(x),)
        safe = np.where(y_full == 0, 1, y_full)
        if p == 2:
            scale = x / safe
        else:
            scale = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
        return (np.where(y_full == 0, 0, g_full * scale).astype(x.dtype, copy=False),)


def vector_norm(x: Any, ord: Any = 2, dim: Dims = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``torch.linalg.vector_norm``: the ``ord``-norm over ``dim`` (all elements when None) for
    a finite ``ord > 0`` (:class:`VectorNormBlock`); ``dtype`` casts the input first."""
    if dtype is not None:
        x = x.to(dtype) if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=dtype))
    if not _positive_finite(ord):
        raise ValueError(f"vector_norm: ord must be a positive finite number, got {ord!r} "
                         "(for the largest magnitude write x.abs().amax())")
    return VectorNormBlock.apply(x, p=float(ord), dim=dim, keepdim=keepdim)


def norm(x: Any, p: Any = "fro", dim: Dims = None, keepdim: bool = False) -> Tensor:
    """``torch.norm`` / ``Tensor.norm`` of vectors: ``p`` is ``'fro'`` (= 2) or any positive
    finite number, over ``dim`` (all elements when None)."""
    if p == "fro":
        p = 2
    if not _positive_finite(p):
        raise ValueError(f"norm: p must be 'fro' or a positive finite number, got {p!r}")
    return VectorNormBlock.apply(x, p=float(p), dim=dim, keepdim=keepdim)


def _positive_finite(order: Any) -> bool:
    return (isinstance(order, (int, float, np.number)) and not isinstance(order, bool)
            and bool(np.isfinite(order)) and order > 0)
