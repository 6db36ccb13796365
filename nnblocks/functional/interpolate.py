r"""Resizing the spatial axes of ``(N, C, *spatial)`` inputs: ``torch.nn.functional.interpolate``.

Both modes act on each spatial axis separately (an axis of length :math:`n` resized to
:math:`m`), with PyTorch's source coordinates. ``scale`` is :math:`n / m` when a size is
given, :math:`1 / \text{scale\_factor}` when a scale factor is.

Nearest (:class:`InterpolateNearestBlock`): output position :math:`j` copies input position
:math:`s(j) = \min(\lfloor j \cdot \text{scale} \rfloor, n - 1)` (``"nearest-exact"``:
:math:`\lfloor (j + \tfrac12)\,\text{scale} \rfloor`), so the backward pass scatter-adds
:math:`g_y` to those positions.

Linear (:class:`InterpolateLinearBlock`; ``linear`` / ``bilinear`` / ``trilinear``): with the
source coordinate :math:`u(j)` (``align_corners=True``: :math:`j (n-1)/(m-1)`; else
:math:`\max((j + \tfrac12)\,\text{scale} - \tfrac12, 0)`), :math:`i_0 = \lfloor u \rfloor`,
:math:`i_1 = \min(i_0 + 1, n - 1)`, :math:`\lambda = u - i_0`:

.. math::
    y_j = (1 - \lambda_j)\, x_{i_0(j)} + \lambda_j\, x_{i_1(j)}, \qquad
    g_{x_i} = \sum_{j: i_0(j) = i} (1 - \lambda_j)\, g_{y_j}
            + \sum_{j: i_1(j) = i} \lambda_j\, g_{y_j}

applied axis after axis (bilinear = linear along H, then along W).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.padding import gather_axes, scatter_axes

Array = np.ndarray

LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


class InterpolateNearestBlock(Block):
    r"""Nearest-neighbour resize along the given axes: a gather at :math:`s(j)` (module
    docstring); :math:`g_x` sums the gradients of every copy.

    Shapes:
        x: ``(N, C, *in_sizes)``; y: ``(N, C, *out_sizes)``.
    """

    @staticmethod
    def forward(x: Array, *, sources: tuple[Array, ...]) -> tuple[Array, tuple]:
        axes = list(range(2, x.ndim))
        y = gather_axes(x, axes, sources)                         # (N, C, *out)
        return y, (x.shape, axes, sources)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shape_in, axes, sources = saved
        return (scatter_axes(gy, shape_in, axes, sources),)


class InterpolateLinearBlock(Block):
    r"""(Bi/tri)linear resize, one axis after the other (module docstring for both passes).

    Shapes:
        x: ``(N, C, *in_sizes)``; y: ``(N, C, *out_sizes)``; the weights :math:`\lambda` of
        each axis are ``(out_size,)`` in x's dtype.
    """

    @staticmethod
    def forward(x: Array, *, taps: tuple[tuple[Array, Array, Array], ...]) -> tuple[Array, tuple]:
        shapes = [x.shape]
        y = x
        for k, (i0, i1, lam) in enumerate(taps):
            axis = 2 + k
            view = [1] * y.ndim
            view[axis] = len(lam)
            w = lam.astype(x.dtype).reshape(view)                 # broadcast along the axis
            y = np.take(y, i0, axis=axis) * (1 - w) + np.take(y, i1, axis=axis) * w
            shapes.append(y.shape)
        return y, (shapes, taps)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shapes, taps = saved
        g = gy
        for k in range(len(taps) - 1, -1, -1):
            i0, i1, lam = taps[k]
            axis = 2 + k
            view = [1] * g.ndim
            view[axis] = len(lam)
            w = lam.astype(gy.dtype).reshape(view)
            gx = np.zeros(shapes[k], dtype=gy.dtype)
            where = (slice(None),) * axis
            np.add.at(gx, where + (i0,), g * (1 - w))
            np.add.at(gx, where + (i1,), g * w)
            g = gx
        return (g,)


def _scale(n: int, m: int, factor: float | None, align_corners: bool) -> float:
    """PyTorch's ``area_pixel_compute_scale``."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    if factor is not None and factor > 0:
        return 1.0 / factor
    return n / m


def _nearest_sources(n: int, m: int, factor: float | None, exact: bool,
                     dtype: np.dtype) -> Array:
    scale = np.asarray(_scale(n, m, factor, False), dtype=np.float32)
    j = np.arange(m, dtype=np.float32)
    if exact:
        j = j + np.float32(0.5)
    return np.minimum(np.floor(j * scale).astype(np.int64), n - 1)


def _linear_taps(n: int, m: int, factor: float | None, align_corners: bool,
                 dtype: np.dtype) -> tuple[Array, Array, Array]:
    acc = np.float64 if dtype == np.float64 else np.float32      # PyTorch's accumulate type
    scale = acc(_scale(n, m, factor, align_corners))
    j = np.arange(m, dtype=acc)
    if align_corners:
        u = j * scale
    else:
        u = np.maximum((j + acc(0.5)) * scale - acc(0.5), acc(0))
    i0 = np.minimum(np.floor(u).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, (u - i0).astype(acc)


def _output_sizes(x: Tensor, size: Any, scale_factor: Any,
                  recompute_scale_factor: bool | None) -> tuple[list[int], list[float | None]]:
    dims = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor")
    if size is not None:
        sizes = [int(s) for s in (size if isinstance(size, Sequence) else [size] * dims)]
        if len(sizes) != dims:
            raise ValueError(f"interpolate: input with spatial shape {tuple(x.shape[2:])} "
                             f"needs {dims} output sizes, got size={size}")
        return sizes, [None] * dims
    factors = [float(f) for f in (scale_factor if isinstance(scale_factor, Sequence)
                                  else [scale_factor] * dims)]
    if len(factors) != dims:
        raise ValueError(f"interpolate: input with spatial shape {tuple(x.shape[2:])} needs "
                         f"{dims} scale factors, got scale_factor={scale_factor}")
    sizes = [int(math.floor(n * f)) for n, f in zip(x.shape[2:], factors)]
    if recompute_scale_factor:
        factors = [None] * dims
    return sizes, factors


def interpolate(input: Any, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial axes of an ``(N, C, *spatial)`` input, as
    ``torch.nn.functional.interpolate``: modes ``"nearest"``, ``"nearest-exact"`` (any of 1-3
    spatial axes), ``"linear"`` (3-D input), ``"bilinear"`` (4-D), ``"trilinear"`` (5-D), with
    ``align_corners`` for the linear modes.

    >>> x = Tensor(np.array([[[1.0, 2.0]]]))
    >>> interpolate(x, scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported; leave it False")
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate: expects a 3-D, 4-D or 5-D (N, C, *spatial) input, got "
                         f"shape {tuple(x.shape)}")
    if mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
        sizes, factors = _output_sizes(x, size, scale_factor, recompute_scale_factor)
        sources = tuple(_nearest_sources(n, m, f, mode == "nearest-exact", x.dtype)
                        for n, m, f in zip(x.shape[2:], sizes, factors))
        return InterpolateNearestBlock.apply(x, sources=sources)
    if mode in LINEAR_MODES:
        if x.ndim - 2 != LINEAR_MODES[mode]:
            raise ValueError(f"interpolate: mode {mode!r} needs a {LINEAR_MODES[mode] + 2}-D "
                             f"input, got shape {tuple(x.shape)}")
        sizes, factors = _output_sizes(x, size, scale_factor, recompute_scale_factor)
        taps = tuple(_linear_taps(n, m, f, bool(align_corners), x.dtype)
                     for n, m, f in zip(x.shape[2:], sizes, factors))
        return InterpolateLinearBlock.apply(x, taps=taps)
    raise ValueError(f"interpolate: mode {mode!r} is not supported; use 'nearest', "
                     f"'nearest-exact', 'linear', 'bilinear' or 'trilinear'")


def upsample(input: Any, size: Any = None, scale_factor: Any = None,
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.upsample`` (deprecated there): :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)
