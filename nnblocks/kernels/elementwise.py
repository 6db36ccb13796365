r"""Compiled element-wise passes: ReLU and the Adam / SGD-momentum updates, one loop each.

NumPy evaluates ``np.maximum(x, 0.0)`` and ``x > 0`` as two passes over memory, and an Adam
update as about ten (one per ufunc, each with a temporary). These loops do the same arithmetic,
operation by operation in the same order and the same precision, in one pass, so the results
are bit-identical to the NumPy reference (numba does not fuse ``a * b + c`` into an FMA unless
asked to). Scalars are passed already rounded to the arrays' dtype, as NumPy rounds a Python
float that meets a float32 array.
"""

from __future__ import annotations

import numpy as np

from nnblocks.kernels import kernel, threads

Array = np.ndarray
U = np.uint64

#: below this many elements a pass runs in the calling thread. A parallel section costs
#: 40-90 µs (waking a worker, BLAS's thread count set and restored, the GIL passed back and
#: forth around each item's kernel), and these passes are memory-bound: two threads share one
#: memory system. Measured on the 2-core machine, µs at 1 / 2 threads (ReLU forward, max-pool
#: 2x2 backward, batch-norm forward; two runs where given): 0.2M elements 31/70, 107/142,
#: 81/141; 0.8M 93-102/118-130, 384-415/266-379, 336-362/224-373; 4.2M 1147/713, 1940/1051,
#: 4676/2363. Below ~0.5M the second thread only adds its hand-off (LeNet at batch 16: every
#: pass; at batch 64: the second layer's).
PARALLEL_MIN = 1 << 19


@kernel
def relu_forward_range(x, start, stop, y, positive):
    """``y = np.maximum(x, 0)`` (NaN stays NaN, -0 becomes 0) and ``positive = x > 0``."""
    for i in range(U(start), U(stop)):
        v = x[i]
        y[i] = v if (v > 0) | (v != v) else 0
        positive[i] = v > 0


@kernel
def relu_backward_range(gy, positive, start, stop, gx):
    """``gx = gy * positive`` (the product, so ``inf * 0`` is NaN exactly as in NumPy)."""
    for i in range(U(start), U(stop)):
        gx[i] = gy[i] * positive[i]


@kernel
def adam_update(param, grad, exp_avg, exp_avg_sq, small, weight, one_minus_weight, beta2,
                one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps):
    """One Adam step on flat arrays, the operations of :meth:`nnblocks.optim.Adam._update`:

    ``m = lerp(m, g, weight)`` (PyTorch's two formulas, the first when ``small``),
    ``v = v β2 + ((1 - β2) g) g``, ``θ = θ + (-step_size m) / (√v / √(1 - β2^t) + ε)``.
    """
    for i in range(U(param.size)):
        g = grad[i]
        m = exp_avg[i]
        diff = g - m
        if small:
            m = m + weight * diff
        else:
            m = g - diff * one_minus_weight
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2
        v = v + one_minus_beta2 * g * g
        exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt
        denom = denom + eps
        param[i] = param[i] + neg_step_size * m / denom


@kernel
def momentum_update(param, d_p, buf, momentum, one_minus_dampening, neg_lr):
    """SGD with momentum on flat arrays: ``b = b μ + (1 - τ) d``, ``θ = θ + (-lr) b``."""
    for i in range(U(param.size)):
        b = buf[i] * momentum
        b = b + one_minus_dampening * d_p[i]
        buf[i] = b
        param[i] = param[i] + neg_lr * b


def supported(*arrays: Array) -> bool:
    """float32/float64 arrays of one dtype, all C-contiguous (updated in place or read flat)."""
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(
        a.dtype == dtype and a.flags.c_contiguous for a in arrays)


def _ranges(n: int) -> list[tuple[int, int]]:
    parts = 1 if n < PARALLEL_MIN else threads.get_num_threads() * threads.ITEMS_PER_THREAD
    return threads.split(n, parts)


def relu_forward(x: Array) -> tuple[Array, Array]:
    """``(np.maximum(x, 0.0), x > 0)`` in one pass (threads share the array)."""
    xf = np.ascontiguousarray(x).reshape(-1)
    y = np.empty(x.shape, dtype=x.dtype)
    positive = np.empty(x.shape, dtype=bool)
    yf, pf = y.reshape(-1), positive.reshape(-1)
    ranges = _ranges(xf.size)
    threads.run(lambda i: relu_forward_range(xf, *ranges[i], yf, pf), len(ranges))
    return y, positive


def relu_backward(positive: Array, gy: Array) -> Array:
    """``gy * positive`` in one pass."""
    gyf = np.ascontiguousarray(gy).reshape(-1)
    pf = positive.reshape(-1)
    gx = np.empty(gy.shape, dtype=gy.dtype)
    gxf = gx.reshape(-1)
    ranges = _ranges(gyf.size)
    threads.run(lambda i: relu_backward_range(gyf, pf, *ranges[i], gxf), len(ranges))
    return gx
