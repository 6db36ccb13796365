r"""Compiled max pooling for windows that tile the input: stride = kernel, no padding or dilation.

:mod:`nnblocks.kernels.pool` covers the 2 × 2 window; this covers any ``k_h × k_w`` tiling
window, e.g. ``MaxPool1d(4)`` on audio features (``(1, 4)`` on ``(N, C, 1, L)``) or a 3 × 3 /
stride-3 pool. The NumPy reference (:func:`nnblocks.functional.pool.max_pool_forward`) makes
one pass over the output per kernel offset (four passes of strided reads, plus four for the
argmax, for ``MaxPool1d(4)``); here each window is read once, with the same comparisons in the
same (row-major) offset order, so ``y`` and the int8 argmax are identical to the reference's:
the argmax moves to offset ``k`` only where ``x_k > y``, and ``y`` follows ``np.maximum``
(NaN wins). Backward writes every input element once, ``g_y * [arg == k]`` (the reference's
product), and zero where no window reads (the tail when the size is not a multiple of the
kernel). Measured on the Conv1d benchmark case (``MaxPool1d(4)`` on ``(16, 32, 3981)`` and
``(16, 64, 995)``, one thread, CPU time): forward + backward 13.9 → ~2 ms per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.kernels import kernel, threads
from nnblocks.kernels.pool import plane_items

Array = np.ndarray
U = np.uint64


@kernel
def max_pool_tiled_planes(x, p0, p1, h, w, kh, kw, ho, wo, y, arg):
    """Planes ``p0 .. p1 - 1`` of ``x (P, H, W)`` (flat): ``y`` and ``arg (P, H_o, W_o)``."""
    for p in range(p0, p1):
        xs = U(p * h * w)
        ys = U(p * ho * wo)
        for i in range(U(ho)):
            d = ys + i * U(wo)
            for j in range(U(wo)):
                s = xs + i * U(kh * w) + j * U(kw)
                best = x[s]
                k = 0
                for a in range(kh):
                    for b in range(kw):
                        if a == 0 and b == 0:
                            continue
                        v = x[s + U(a * w + b)]
                        k = a * kw + b if v > best else k
                        best = best if (best > v) | (best != best) else v
                y[d + j] = best
                arg[d + j] = k


@kernel
def max_pool_tiled_backward_planes(gy, arg, p0, p1, h, w, kh, kw, ho, wo, gx):
    """Backward of :func:`max_pool_tiled_planes`: ``gx`` written once per element."""
    for p in range(p0, p1):
        xs = U(p * h * w)
        ys = U(p * ho * wo)
        for t in range(U(h * w)):
            gx[xs + t] = 0
        for i in range(U(ho)):
            s = ys + i * U(wo)
            for j in range(U(wo)):
                g = gy[s + j]
                k = arg[s + j]
                d = xs + i * U(kh * w) + j * U(kw)
                for a in range(kh):
                    for b in range(kw):
                        gx[d + U(a * w + b)] = g * (k == a * kw + b)


def supported(x: Array, win: Any) -> bool:
    """float32/float64, stride = kernel (at most 127 offsets: an int8 argmax), no padding or
    dilation, every window inside the input."""
    top, bottom, left, right = win.pads
    kh, kw = win.kernel
    return (x.dtype in (np.float32, np.float64) and win.stride == win.kernel
            and win.dilation == (1, 1) and top == 0 and left == 0 and bottom <= 0
            and right <= 0 and kh * kw <= 127)


def max_pool_forward(x: Array, win: Any) -> tuple[Array, Array]:
    """``y`` and the int8 argmax offset of a batched ``x (N, C, H, W)``."""
    n, c, h, w = x.shape
    kh, kw = win.kernel
    ho, wo = win.out_size
    xf = np.ascontiguousarray(x).reshape(-1)
    y = np.empty((n, c, ho, wo), dtype=x.dtype)
    arg = np.empty((n, c, ho, wo), dtype=np.int8)
    yf, argf = y.reshape(-1), arg.reshape(-1)
    items, per = plane_items(n * c, n * c * h * w)
    threads.run(lambda i: max_pool_tiled_planes(
        xf, i * per, min(n * c, (i + 1) * per), h, w, kh, kw, ho, wo, yf, argf), items)
    return y, arg


def max_pool_backward(gy: Array, arg: Array, win: Any) -> Array:
    """``g_x (N, C, H, W)`` from ``g_y`` and the argmax of :func:`max_pool_forward`."""
    n, c, ho, wo = gy.shape
    h, w = win.in_size
    kh, kw = win.kernel
    gyf = np.ascontiguousarray(gy).reshape(-1)
    argf = np.ascontiguousarray(arg).reshape(-1)
    gx = np.empty((n, c, h, w), dtype=gy.dtype)
    gxf = gx.reshape(-1)
    items, per = plane_items(n * c, n * c * h * w)
    threads.run(lambda i: max_pool_tiled_backward_planes(
        gyf, argf, i * per, min(n * c, (i + 1) * per), h, w, kh, kw, ho, wo, gxf), items)
    return gx
