r"""Padding by reflection, replication and wrap-around: ``torch.nn.functional.pad``'s modes.

Each mode maps every output position of a padded axis to one input position, so the forward
pass is a gather along each padded axis and the backward pass the matching scatter-add:

.. math::
    y_{\dots, j, \dots} = x_{\dots, s(j), \dots}, \qquad
    g_{x_{\dots, i, \dots}} = \sum_{j : s(j) = i} g_{y_{\dots, j, \dots}}

with, for an axis of length :math:`n` padded by :math:`(l, r)` and :math:`p = j - l`:
reflect :math:`s = |p|` mirrored again past :math:`n - 1` (the edge is not repeated),
replicate :math:`s = \min(\max(p, 0), n - 1)`, circular :math:`s = p \bmod n`.
``constant`` padding is :class:`nnblocks.functional.shape` 's constant pad block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional import shape

Array = np.ndarray


def gather_axes(x: Array, axes: Sequence[int], indices: Sequence[Array]) -> Array:
    """``x`` gathered along each of ``axes`` at the matching integer ``indices``."""
    y = x
    for axis, index in zip(axes, indices):
        y = np.take(y, index, axis=axis)
    return y


def scatter_axes(gy: Array, shape_in: tuple, axes: Sequence[int],
                 indices: Sequence[Array]) -> Array:
    """The adjoint of :func:`gather_axes`: scatter-add ``gy`` back through the gathers, last
    axis first, into an array of ``shape_in``."""
    shapes = [tuple(shape_in)]
    for axis, index in zip(axes, indices):
        grown = list(shapes[-1])
        grown[axis] = len(index)
        shapes.append(tuple(grown))
    g = gy
    for k in range(len(axes) - 1, -1, -1):
        axis, index = axes[k], indices[k]
        gx = np.zeros(shapes[k], dtype=gy.dtype)
        np.add.at(gx, (slice(None),) * axis + (index,), g)
        g = gx
    return g


class _GatherPadBlock(Block, register=False):
    """Shared forward/backward of the three index padding modes (not a block of its own)."""

    mode = ""

    @staticmethod
    def source(n: int, left: int, right: int) -> Array:
        raise NotImplementedError

    @classmethod
    def forward(cls, x: Array, *, pad: tuple[int, ...]) -> tuple[Array, tuple]:
        axes, indices = [], []
        for i in range(len(pad) // 2):
            axis = x.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            axes.append(axis)
            indices.append(cls.source(x.shape[axis], left, right))
        y = gather_axes(x, axes, indices)                         # (*, padded axes)
        return y, (x.shape, axes, indices)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shape_in, axes, indices = saved
        return (scatter_axes(gy, shape_in, axes, indices),)


class ReflectionPadBlock(_GatherPadBlock):
    r"""Pad by mirroring at the edges, the edge itself not repeated: ``[a b c]`` padded by
    ``(2, 2)`` is ``[c b a b c b a]``. See the module docstring for both passes.

    Shapes:
        x: ``(*, n)`` per padded axis; y: ``(*, l + n + r)``; needs ``l, r < n``.
    """

    mode = "reflect"

    @staticmethod
    def source(n: int, left: int, right: int) -> Array:
        p = np.arange(-left, n + right)                           # (l + n + r,)
        p = np.abs(p)
        return np.where(p > n - 1, 2 * (n - 1) - p, p)


class ReplicationPadBlock(_GatherPadBlock):
    r"""Pad by repeating the edge values: ``[a b c]`` padded by ``(2, 1)`` is
    ``[a a a b c c]``. The edge's gradient collects those of all its copies.

    Shapes:
        x: ``(*, n)`` per padded axis; y: ``(*, l + n + r)``.
    """

    mode = "replicate"

    @staticmethod
    def source(n: int, left: int, right: int) -> Array:
        return np.clip(np.arange(-left, n + right), 0, n - 1)


class CircularPadBlock(_GatherPadBlock):
    r"""Pad by wrapping around: ``[a b c]`` padded by ``(1, 2)`` is ``[c a b c a b]``.

    Shapes:
        x: ``(*, n)`` per padded axis; y: ``(*, l + n + r)``; needs ``l, r <= n``.
    """

    mode = "circular"

    @staticmethod
    def source(n: int, left: int, right: int) -> Array:
        return np.mod(np.arange(-left, n + right), n)


MODES = {b.mode: b for b in (ReflectionPadBlock, ReplicationPadBlock, CircularPadBlock)}


def pad(input: Any, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad ``input`` as ``torch.nn.functional.pad``: ``pad`` gives ``(left, right)`` pairs
    starting from the **last** axis; ``mode`` is ``"constant"`` (any number of axes, fill
    ``value``, default 0), ``"reflect"``, ``"replicate"`` or ``"circular"`` (the last 1, 2 or 3
    axes of a batched ``(N, C, ...)`` or unbatched ``(C, ...)`` input, as PyTorch).

    >>> x = Tensor(np.arange(3.0)[None, None])
    >>> pad(x, (2, 1), mode="reflect").tolist()
    [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]]
    """
    pad = tuple(int(p) for p in pad)
    if mode == "constant":
        return shape.pad(input, pad, 0.0 if value is None else value)
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of 'constant', 'reflect', 'replicate', "
                         f"'circular', got {mode!r}")
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if len(pad) % 2 or not 2 <= len(pad) <= 6:
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes: give 2, 4 or 6 "
                         f"values, got {len(pad)} ({pad})")
    axes = len(pad) // 2
    if x.ndim not in (axes + 1, axes + 2):
        raise ValueError(f"pad: mode {mode!r} with {len(pad)} values expects a "
                         f"{axes + 1}-D or {axes + 2}-D input, got shape {tuple(x.shape)}")
    for i in range(axes):
        n = x.shape[x.ndim - 1 - i]
        left, right = pad[2 * i], pad[2 * i + 1]
        if left < 0 or right < 0:
            raise ValueError(f"pad: negative padding {pad} is only supported in mode "
                             f"'constant' here")
        if mode == "reflect" and max(left, right) >= n:
            raise ValueError(f"pad: padding size should be less than the corresponding input "
                             f"dimension for mode 'reflect', but got padding ({left}, {right}) "
                             f"at axis {x.ndim - 1 - i} of shape {tuple(x.shape)}")
        if mode == "circular" and max(left, right) > n:
            raise ValueError(f"pad: padding ({left}, {right}) of mode 'circular' can wrap "
                             f"around only once: at most the size {n} of axis {x.ndim - 1 - i}")
        if mode == "replicate" and n == 0:
            raise ValueError(f"pad: mode 'replicate' cannot pad an empty axis {x.ndim - 1 - i}")
    return MODES[mode].apply(x, pad=pad)
