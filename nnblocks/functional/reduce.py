"""Reductions over any set of axes, with ``keepdim``: sum, mean, max, min, var.

Axes follow PyTorch's ``dim`` (an int, a tuple of ints, or None for all axes); ``axis`` is
accepted as NumPy's spelling of the same argument in the wrappers.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional import math
from nnblocks.functional.dims import Dims, normalize_dims
from nnblocks.functional.shape import GetItemBlock, SqueezeBlock

Array = np.ndarray


def _reduced_dims(name: str, dim: Dims, ndim: int) -> tuple[int, ...]:
    """Axes a reduction runs over: ``dim=None`` and ``dim=()`` both mean all (PyTorch's rule);
    a 0-d tensor has none (its ``dim`` 0 or -1 is accepted and reduces nothing)."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    dims = normalize_dims(name, dim, ndim)
    return dims if ndim else ()


def _expand_back(g: Array, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Array:
    """Re-insert reduced axes into the gradient so it broadcasts against the input."""
    if not keepdim and g.ndim != len(shape):
        g = np.expand_dims(g, dims)
    return g


class SumBlock(Block):
    r"""Sum over ``dim``. :math:`y = \sum_{i \in dim} x_i`, :math:`g_x = g_y` broadcast back.

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(x: Array, *, dim: Dims = None, keepdim: bool = False) -> tuple[Array, tuple]:
        dims = _reduced_dims("sum", dim, x.ndim)
        y = np.sum(x, axis=dims, keepdims=keepdim)
        return np.asarray(y), (x.shape, dims, keepdim)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shape, dims, keepdim = saved
        g = _expand_back(gy, shape, dims, keepdim)
        return (np.broadcast_to(g, shape),)


class MeanBlock(Block):
    r"""Mean over ``dim``. :math:`y = \frac1n \sum_{i \in dim} x_i`, :math:`g_x = g_y / n`
    broadcast back (n: the number of elements reduced).

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(x: Array, *, dim: Dims = None, keepdim: bool = False) -> tuple[Array, tuple]:
        dims = _reduced_dims("mean", dim, x.ndim)
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"mean: needs a floating-point tensor, got dtype {x.dtype}")
        y = np.mean(x, axis=dims, keepdims=keepdim)
        count = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        return np.asarray(y), (x.shape, dims, keepdim, count)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shape, dims, keepdim, count = saved
        g = _expand_back(gy, shape, dims, keepdim) / count
        return (np.broadcast_to(g, shape),)


def _extreme_forward(
    name: str, reduce: Any, x: Array, dim: Dims, keepdim: bool
) -> tuple[Array, tuple]:
    """Shared forward of :class:`MaxBlock` and :class:`MinBlock`: ``reduce`` is ``np.max`` or
    ``np.min``."""
    dims = _reduced_dims(name, dim, x.ndim)
    if x.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    y = reduce(x, axis=dims, keepdims=True)                      # x.shape with 1 on dims
    out = y if keepdim else np.squeeze(y, axis=dims)
    return np.asarray(out), (x, y, dims, keepdim)


def _extreme_backward(saved: tuple, gy: Array) -> tuple[Array]:
    """Shared backward of :class:`MaxBlock` and :class:`MinBlock`: split g_y evenly among the
    ties."""
    x, y, dims, keepdim = saved
    hit = x == y                                                 # x.shape
    count = hit.sum(axis=dims, keepdims=True).astype(gy.dtype)  # y.shape, keepdim
    g = _expand_back(gy, x.shape, dims, keepdim)                 # y.shape, keepdim
    return (hit * (g / count),)                                  # x.shape


class MaxBlock(Block):
    r"""Maximum over ``dim``. The gradient goes to the maximal elements, split evenly among ties
    (PyTorch's ``amax`` rule): :math:`g_x = g_y\,[x = y] / \#\{x = y\}`. Saves x and y.

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    saves_output = True                # saves x and the reduced values

    @staticmethod
    def forward(x: Array, *, dim: Dims = None, keepdim: bool = False) -> tuple[Array, tuple]:
        return _extreme_forward("max", np.max, x, dim, keepdim)

    backward = staticmethod(_extreme_backward)


class MinBlock(Block):
    r"""Minimum over ``dim``, the mirror of :class:`MaxBlock`:
    :math:`g_x = g_y\,[x = y] / \#\{x = y\}` (PyTorch's ``amin`` rule).

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    saves_output = True                # saves x and the reduced values

    @staticmethod
    def forward(x: Array, *, dim: Dims = None, keepdim: bool = False) -> tuple[Array, tuple]:
        return _extreme_forward("min", np.min, x, dim, keepdim)

    backward = staticmethod(_extreme_backward)


class VarBlock(Block):
    r"""Variance over ``dim`` with Bessel's ``correction`` (1 = unbiased, PyTorch's default).

    .. math::
        y = \frac{1}{n - c} \sum_i (x_i - \bar x)^2, \qquad
        g_x = g_y \frac{2 (x - \bar x)}{n - c}

    (the term through :math:`\bar x` vanishes because :math:`\sum_i (x_i - \bar x) = 0`).
    Saves the centred input :math:`x - \bar x`.

    Shapes:
        x: ``(*)``; y: ``(*)`` without the reduced axes (kept as 1 with ``keepdim``).
    """

    @staticmethod
    def forward(
        x: Array, *, dim: Dims = None, correction: int = 1, keepdim: bool = False
    ) -> tuple[Array, tuple]:
        dims = _reduced_dims("var", dim, x.ndim)
        count = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        if count - correction <= 0:
            raise ValueError(
                f"var: {count} element(s) over dim {dim} with correction={correction} "
                "leave no degrees of freedom"
            )
        centered = x - x.mean(axis=dims, keepdims=True)          # x.shape
        y = (centered * centered).sum(axis=dims, keepdims=keepdim) / (count - correction)
        return np.asarray(y), (centered, dims, keepdim, count - correction)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        centered, dims, keepdim, dof = saved
        g = _expand_back(gy, centered.shape, dims, keepdim)
        return (g * centered * (2.0 / dof),)


# ---------------------------------------------------------------------- Tensor-level wrappers


def _dims(dim: Dims, axis: Dims) -> Dims:
    return axis if dim is None else dim


def sum(x: Any, dim: Dims = None, keepdim: bool = False, *, axis: Dims = None) -> Tensor:
    """Sum over ``dim`` (all axes when None) (:class:`SumBlock`)."""
    return SumBlock.apply(x, dim=_dims(dim, axis), keepdim=keepdim)


def mean(x: Any, dim: Dims = None, keepdim: bool = False, *, axis: Dims = None) -> Tensor:
    """Mean over ``dim`` (:class:`MeanBlock`)."""
    return MeanBlock.apply(x, dim=_dims(dim, axis), keepdim=keepdim)


def amax(x: Any, dim: Dims = None, keepdim: bool = False, *, axis: Dims = None) -> Tensor:
    """Largest value over ``dim``, any set of axes (:class:`MaxBlock`, as ``torch.amax``): the
    gradient is split evenly among tied maxima."""
    return MaxBlock.apply(x, dim=_dims(dim, axis), keepdim=keepdim)


def amin(x: Any, dim: Dims = None, keepdim: bool = False, *, axis: Dims = None) -> Tensor:
    """Smallest value over ``dim`` (:class:`MinBlock`, as ``torch.amin``)."""
    return MinBlock.apply(x, dim=_dims(dim, axis), keepdim=keepdim)


class ValuesIndices(NamedTuple):
    """What ``max(x, dim)`` and ``min(x, dim)`` return, as ``torch.return_types.max``."""

    values: Tensor
    indices: Tensor


def _along(name: str, arg: Any, x: Any, dim: int, keepdim: bool) -> ValuesIndices:
    r"""``(values, indices)`` of the extreme along one axis, as ``torch.max(x, dim)``.

    ``indices`` is the first extreme position (``np.argmax`` / ``np.argmin``); the values are
    gathered at those indices (:class:`~nnblocks.functional.shape.GetItemBlock`), so the gradient
    goes to that one element, as in PyTorch: :math:`g_x[\ldots, i_k, \ldots] = g_y[\ldots]`.
    """
    data = getattr(x, "array", None)
    if data is None:
        x = Tensor(np.asarray(x))
        data = x.array
    if data.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {data.shape}")
    (d,) = normalize_dims(name, dim, data.ndim)
    if data.ndim == 0:
        return ValuesIndices(GetItemBlock.apply(x, index=()), Tensor(np.array(0)))
    idx = arg(data, axis=d, keepdims=True)                       # x.shape with 1 at d
    index = tuple(
        idx if a == d else np.arange(n).reshape([-1 if b == a else 1 for b in range(data.ndim)])
        for a, n in enumerate(data.shape)
    )
    values = GetItemBlock.apply(x, index=index)                       # x.shape with 1 at d
    if not keepdim:
        values = SqueezeBlock.apply(values, dim=(d,))
        idx = np.squeeze(idx, axis=d)
    return ValuesIndices(values, Tensor(idx))


def max(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Dims = None) -> Any:
    """``torch.max``: the largest value overall (``dim=None``); along one ``dim`` (an int) the
    pair ``(values, indices)``; element-wise with a tensor as second argument
    (:func:`~nnblocks.functional.math.maximum`).

    Over several axes (a tuple ``dim``, or NumPy's ``axis=``) it returns the values only, as
    :func:`amax`.

    >>> import nnblocks as nb
    >>> values, indices = nb.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]).max(1)
    >>> values, indices
    (tensor([5., 7.]), tensor([1, 0], dtype=int64))
    """
    return _extreme("max", np.argmax, amax, x, dim, keepdim, axis)


def min(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Dims = None) -> Any:
    """``torch.min``, the mirror of :func:`max`: ``(values, indices)`` along one int ``dim``."""
    return _extreme("min", np.argmin, amin, x, dim, keepdim, axis)


def _extreme(name: str, arg: Any, over_axes: Any, x: Any, dim: Any, keepdim: bool,
             axis: Dims) -> Any:
    if isinstance(dim, (Tensor, np.ndarray)):                    # torch.max(input, other)
        return (math.maximum if name == "max" else math.minimum)(x, dim)
    if isinstance(dim, (int, np.integer)) and axis is None:
        return _along(name, arg, x, int(dim), keepdim)
    return over_axes(x, _dims(dim, axis), keepdim)


def var(
    x: Any, dim: Dims = None, *, correction: int = 1, keepdim: bool = False, axis: Dims = None
) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (:class:`VarBlock`)."""
    return VarBlock.apply(x, dim=_dims(dim, axis), correction=correction, keepdim=keepdim)


def std(
    x: Any, dim: Dims = None, *, correction: int = 1, keepdim: bool = False, axis: Dims = None
) -> Tensor:
    """Standard deviation: the square root of :func:`var` (composed, no block of its own)."""
    return math.sqrt(var(x, dim, correction=correction, keepdim=keepdim, axis=axis))


def argmax(x: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (no gradient)."""
    data = getattr(x, "array", np.asarray(x))
    return Tensor(np.argmax(data, axis=dim, keepdims=keepdim))


def argmin(x: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (no gradient)."""
    data = getattr(x, "array", np.asarray(x))
    return Tensor(np.argmin(data, axis=dim, keepdims=keepdim))
