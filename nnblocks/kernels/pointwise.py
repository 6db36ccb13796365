r"""Fast path of 1 × 1 convolutions (stride 1, no padding, one group): GEMMs straight on NCHW.

A pointwise convolution is a matrix product per image, with no window to unfold:

.. math::
    Y_m = W X_m + b \mathbf 1^\top, \qquad g_W = \sum_m G_m X_m^\top, \qquad
    g_b = \sum_m G_m \mathbf 1, \qquad g_{X_m} = W^\top G_m

with :math:`X_m` image :math:`m` as ``(C, H W)`` and :math:`W` as ``(O, C)``. The general
compiled path (:mod:`nnblocks.kernels.conv`) would copy the input to NHWC, build an im2col
matrix equal to it, and transpose the result back; here each image's GEMM reads and writes
NCHW directly and backward reuses the input itself (nothing is copied or kept besides it).
Images are shared among threads in a fixed number of items (:data:`ITEMS`, BLAS at one thread
inside, see :mod:`nnblocks.kernels.threads`); the weight and bias gradients are summed per
item and the items added in order, so results do not depend on the number of threads.
Measured on the pointwise benchmark case (64 → 128 → 128 channels on 16 × 16, batch 64, CPU
time of one thread): the two convolutions' forward + backward 43.7 → ~30 ms per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.kernels import threads

Array = np.ndarray

#: the batch is cut into this many items (fewer for a smaller batch), independent of threads
ITEMS = 8


def supported(x: Array, weight: Array, win: Any, groups: int) -> bool:
    """1 × 1 window, stride 1, no padding, one group, float32/float64 of one dtype."""
    return (groups == 1 and x.ndim == 4 and win.kernel == (1, 1) and win.stride == (1, 1)
            and win.pads == (0, 0, 0, 0) and x.dtype in (np.float32, np.float64)
            and weight.dtype == x.dtype)


def _items(n: int) -> list[tuple[int, int]]:
    return threads.split(n, min(n, ITEMS))


def forward(x: Array, weight: Array, bias: Array | None) -> tuple[Array, Array]:
    """``(y, x)`` for ``x (N, C, H, W)``: ``y (N, O, H, W)``; x (contiguous) is what backward
    needs."""
    n, c, h, w = x.shape
    o = weight.shape[0]
    x = np.ascontiguousarray(x)
    xm = x.reshape(n, c, h * w)                                   # (N, C, P)
    wmat = weight.reshape(o, c)                                   # (O, C)
    y = np.empty((n, o, h * w), dtype=x.dtype)                    # (N, O, P)
    items = _items(n)

    def item(i: int) -> None:
        m0, m1 = items[i]
        np.matmul(wmat, xm[m0:m1], out=y[m0:m1])
        if bias is not None:
            y[m0:m1] += bias.reshape(o, 1)

    threads.run(item, len(items), gemm=True)
    return y.reshape(n, o, h, w), x


def backward(gy: Array, x: Array, weight: Array,
             needs: tuple[bool, bool, bool]) -> tuple[Array | None, Array | None, Array | None]:
    """``(g_x, g_W, g_b)`` of :func:`forward` for the inputs in ``needs``."""
    n, o, h, w = gy.shape
    c = weight.shape[1]
    g = np.ascontiguousarray(gy).reshape(n, o, h * w)             # (N, O, P)
    wmat = weight.reshape(o, c)                                   # (O, C)
    items = _items(n)
    gx = np.empty((n, c, h * w), dtype=gy.dtype) if needs[0] else None
    gw_parts = np.empty((len(items), o, c), dtype=gy.dtype) if needs[1] else None
    gb_parts = np.empty((len(items), o), dtype=gy.dtype) if needs[2] else None
    xm = None if x is None else x.reshape(n, c, h * w)            # (N, C, P)
    ones = np.ones(h * w, dtype=gy.dtype)

    def item(i: int) -> None:
        m0, m1 = items[i]
        if gx is not None:
            np.matmul(wmat.T, g[m0:m1], out=gx[m0:m1])            # (k, C, P)
        if gw_parts is not None:
            per_image = np.matmul(g[m0:m1], xm[m0:m1].transpose(0, 2, 1))   # (k, O, C)
            np.sum(per_image, axis=0, out=gw_parts[i])
        if gb_parts is not None:
            np.sum(g[m0:m1] @ ones, axis=0, out=gb_parts[i])      # (O,)

    threads.run(item, len(items), gemm=True)
    gw = None if gw_parts is None else gw_parts.sum(axis=0).reshape(weight.shape)
    gb = None if gb_parts is None else gb_parts.sum(axis=0)
    return (None if gx is None else gx.reshape(n, c, h, w)), gw, gb
