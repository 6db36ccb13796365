r"""Compiled path of :class:`nnblocks.functional.pool.MaxPool2dBlock` for the 2 × 2, stride-2
window.

The NumPy reference (:func:`nnblocks.functional.pool.max_pool_forward`) runs the maximum and
the argmax as one array operation per kernel offset, four passes over the input; here each
window is read once, with the same comparisons in the same offset order, so ``y`` and the int8
argmax are identical: ``arg`` moves to offset ``k`` only where ``x_k > y`` (the first maximum
wins ties), and ``y`` follows ``np.maximum(y, v)``: ``y`` if ``y > v`` or ``y`` is NaN, else ``v``
(so NaN wins, and of two zeros the later one's sign). Backward writes every input element
once, ``g_y * [arg == k]``, the reference's product. Planes are shared among threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.kernels import kernel, threads
from nnblocks.kernels.elementwise import PARALLEL_MIN

Array = np.ndarray
U = np.uint64

@kernel
def max_pool_2x2_planes(x, p0, p1, h, w, ho, wo, y, arg):
    """:func:`max_pool_planes` for the common 2 × 2 window, stride 2, no padding."""
    for p in range(p0, p1):
        xs = U(p * h * w)
        ys = U(p * ho * wo)
        for i in range(U(ho)):
            r0 = xs + U(2) * i * U(w)
            r1 = r0 + U(w)
            d = ys + i * U(wo)
            for j in range(U(wo)):
                c = U(2) * j
                v1 = x[r0 + c + U(1)]
                v2 = x[r1 + c]
                v3 = x[r1 + c + U(1)]
                best = x[r0 + c]
                k = 1 if v1 > best else 0
                best = best if (best > v1) | (best != best) else v1
                k = 2 if v2 > best else k
                best = best if (best > v2) | (best != best) else v2
                k = 3 if v3 > best else k
                best = best if (best > v3) | (best != best) else v3
                y[d + j] = best
                arg[d + j] = k


@kernel
def max_pool_2x2_backward_planes(gy, arg, p0, p1, h, w, ho, wo, gx):
    """Backward of :func:`max_pool_2x2_planes`: every input element is written once, as
    ``g_y * [arg == k]`` (the reference's product, bit for bit); rows/columns no window reads
    are zero."""
    for p in range(p0, p1):
        xs = U(p * h * w)
        ys = U(p * ho * wo)
        for i in range(U(ho)):
            r0 = xs + U(2) * i * U(w)
            r1 = r0 + U(w)
            s = ys + i * U(wo)
            for j in range(U(wo)):
                c = U(2) * j
                g = gy[s + j]
                k = arg[s + j]
                gx[r0 + c] = g * (k == 0)
                gx[r0 + c + U(1)] = g * (k == 1)
                gx[r1 + c] = g * (k == 2)
                gx[r1 + c + U(1)] = g * (k == 3)
            for t in range(U(2 * wo), U(w)):               # odd width: last column unread
                gx[r0 + t] = 0
                gx[r1 + t] = 0
        for t in range(U(2 * ho * w), U(h * w)):            # odd height: last row unread
            gx[xs + t] = 0


def supported(x: Array, win: Any) -> bool:
    """Whether the compiled path handles this pooling: float32/float64, a 2 × 2 window with
    stride 2, no padding or dilation, every window inside the input (ceil mode may add none).

    Other windows use the NumPy reference: a general compiled loop (bounds checks, gathers)
    measured slower than its one-array-operation-per-offset code.
    """
    top, bottom, left, right = win.pads
    return (x.dtype in (np.float32, np.float64) and win.kernel == (2, 2)
            and win.stride == (2, 2) and win.dilation == (1, 1) and top == 0 and left == 0
            and bottom <= 0 and right <= 0)


def plane_items(n_planes: int, size: int) -> tuple[int, int]:
    """Work items and planes per item (planes are independent)."""
    if size < PARALLEL_MIN:                        # tiny work (batch-1 inference): no hand-off
        return 1, n_planes
    items = max(1, min(threads.get_num_threads() * threads.ITEMS_PER_THREAD, n_planes))
    return items, -(-n_planes // items)


def max_pool_forward(x: Array, win: Any) -> tuple[Array, Array]:
    """``y`` and the int8 argmax offset of a batched ``x (N, C, H, W)`` (see :func:`supported`)."""
    n, c, h, w = x.shape
    ho, wo = win.out_size
    xf = np.ascontiguousarray(x).reshape(-1)
    y = np.empty((n, c, ho, wo), dtype=x.dtype)
    arg = np.empty((n, c, ho, wo), dtype=np.int8)
    yf, argf = y.reshape(-1), arg.reshape(-1)
    items, per = plane_items(n * c, n * c * h * w)

    def item(i: int) -> None:
        p0, p1 = i * per, min(n * c, (i + 1) * per)
        max_pool_2x2_planes(xf, p0, p1, h, w, ho, wo, yf, argf)

    threads.run(item, items)
    return y, arg


def max_pool_backward(gy: Array, arg: Array, win: Any) -> Array:
    """``g_x (N, C, H, W)`` from ``g_y`` and the argmax of :func:`max_pool_forward`."""
    n, c, ho, wo = gy.shape
    h, w = win.in_size
    gyf = np.ascontiguousarray(gy).reshape(-1)
    argf = np.ascontiguousarray(arg).reshape(-1)
    gx = np.empty((n, c, h, w), dtype=gy.dtype)
    gxf = gx.reshape(-1)
    items, per = plane_items(n * c, n * c * h * w)

    def item(i: int) -> None:
        p0, p1 = i * per, min(n * c, (i + 1) * per)
        max_pool_2x2_backward_planes(gyf, argf, p0, p1, h, w, ho, wo, gxf)

    threads.run(item, items)
    return gx
