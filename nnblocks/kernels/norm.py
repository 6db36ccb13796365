r"""Compiled path of :class:`nnblocks.functional.norm.BatchNormBlock` (training statistics).

The NumPy reference makes about eight passes over the activations forward and ten backward
(each mean, difference and product its own array). Here, per channel: forward sums
:math:`\sum x` then :math:`\sum (x - \mu)^2` and writes :math:`\hat x` and :math:`y` in a third
pass; backward sums :math:`\sum g_y` and :math:`\sum g_y \hat x` in one pass and writes
:math:`g_x` in a second, with the formula of :mod:`nnblocks.functional.norm`:

.. math::
    g_x = r \big(g_{\hat x} - \overline{g_{\hat x}} - \hat x\,\overline{g_{\hat x}\hat x}\big),
    \qquad g_{\hat x} = g_y \gamma.

The sums are accumulated in float64 (NumPy's means of float32 arrays accumulate in float32) and
compiled with ``fastmath={"reassoc"}``, which lets the compiler split each sum into vector
lanes (a sequential sum is bound by the latency of one add per element: 10x slower). So results
agree with the reference to rounding, not bit for bit. Channels are shared among threads.
"""

from __future__ import annotations

import numpy as np

from nnblocks.kernels import kernel, threads
from nnblocks.kernels.elementwise import PARALLEL_MIN

Array = np.ndarray
U = np.uint64


@kernel(fastmath={"reassoc"})
def batch_norm_forward_channels(x, n, c, hw, c0, c1, eps, weight, bias, has_weight, has_bias,
                                xhat, y, mean_out, var_out, r_out):
    """Channels ``c0 .. c1 - 1`` of ``x (N, C, HW)`` (flat): statistics, ``x̂`` and ``y``."""
    m = n * hw
    for ch in range(c0, c1):
        total = 0.0
        for s in range(n):
            base = U((s * c + ch) * hw)
            for t in range(U(hw)):
                total += x[base + t]
        mean = x.dtype.type(total / m)
        squares = 0.0
        for s in range(n):
            base = U((s * c + ch) * hw)
            for t in range(U(hw)):
                d = x[base + t] - mean
                squares += d * d
        var = x.dtype.type(squares / m)
        r = x.dtype.type(1.0) / np.sqrt(var + eps)
        w = weight[ch] if has_weight else x.dtype.type(1.0)
        b = bias[ch] if has_bias else x.dtype.type(0.0)
        for s in range(n):
            base = U((s * c + ch) * hw)
            for t in range(U(hw)):
                h = (x[base + t] - mean) * r
                xhat[base + t] = h
                if has_weight:
                    h = h * w
                if has_bias:
                    h = h + b
                y[base + t] = h
        mean_out[ch] = mean
        var_out[ch] = var
        r_out[ch] = r


@kernel(fastmath={"reassoc"})
def batch_norm_backward_channels(gy, xhat, n, c, hw, c0, c1, r, weight, has_weight, gx, gw, gb):
    """Channels ``c0 .. c1 - 1``: ``g_x`` (flat like ``x``), ``g_γ = Σ g_y x̂``, ``g_β = Σ g_y``."""
    m = n * hw
    for ch in range(c0, c1):
        w = weight[ch] if has_weight else gy.dtype.type(1.0)
        sum_g = 0.0
        sum_gx = 0.0
        for s in range(n):
            base = U((s * c + ch) * hw)
            for t in range(U(hw)):
                g = gy[base + t]
                sum_g += g
                sum_gx += g * xhat[base + t]
        gw[ch] = sum_gx
        gb[ch] = sum_g
        mean_g = gy.dtype.type(w * sum_g / m)                # mean of g_x̂ = γ g_y
        mean_gx = gy.dtype.type(w * sum_gx / m)              # mean of g_x̂ x̂
        rc = r[ch]
        for s in range(n):
            base = U((s * c + ch) * hw)
            for t in range(U(hw)):
                g = gy[base + t]
                if has_weight:
                    g = g * w
                gx[base + t] = rc * (g - mean_g - xhat[base + t] * mean_gx)


def supported(x: Array, *params: Array | None) -> bool:
    return x.dtype in (np.float32, np.float64) and all(
        p is None or p.dtype == x.dtype for p in params)


def _split_channels(c: int, size: int) -> list[tuple[int, int]]:
    """Channel ranges, one per work item; one item below PARALLEL_MIN elements (no hand-off)."""
    if size < PARALLEL_MIN:
        return [(0, c)]
    return threads.split(c, max(1, min(threads.get_num_threads() * threads.ITEMS_PER_THREAD, c)))


def batch_norm_forward(x: Array, weight: Array | None, bias: Array | None,
                       eps: float) -> tuple[Array, Array, Array, Array, Array]:
    """``(y, x̂, mean, var, r)`` of ``x (N, C, *)``: ``mean, var, r`` per channel ``(C,)``."""
    n, c = x.shape[:2]
    hw = x.size // (n * c)
    xf = np.ascontiguousarray(x).reshape(-1)
    dtype = x.dtype
    y = np.empty(x.shape, dtype=dtype)
    xhat = np.empty(x.shape, dtype=dtype)
    mean, var, r = (np.empty(c, dtype=dtype) for _ in range(3))
    w = weight if weight is not None else mean                 # unused placeholders
    b = bias if bias is not None else mean
    if hw == 1:                                                # (N, C): rows are contiguous
        from nnblocks.kernels.norm_rows import batch_norm_rows_forward

        batch_norm_rows_forward(xf, n, c, dtype.type(eps), w, b, weight is not None,
                                bias is not None, xhat.reshape(-1), y.reshape(-1), mean, var, r)
        return y, xhat, mean, var, r
    ranges = _split_channels(c, n * c * hw)
    threads.run(lambda i: batch_norm_forward_channels(
        xf, n, c, hw, *ranges[i], dtype.type(eps), w, b, weight is not None, bias is not None,
        xhat.reshape(-1), y.reshape(-1), mean, var, r), len(ranges))
    return y, xhat, mean, var, r


def batch_norm_backward(gy: Array, xhat: Array, r: Array,
                        weight: Array | None) -> tuple[Array, Array, Array]:
    """``(g_x, g_γ, g_β)`` (``g_γ`` is returned even without a weight; callers drop it)."""
    n, c = gy.shape[:2]
    hw = gy.size // (n * c)
    gyf = np.ascontiguousarray(gy).reshape(-1)
    dtype = gy.dtype
    gx = np.empty(gy.shape, dtype=dtype)
    gw = np.empty(c, dtype=dtype)
    gb = np.empty(c, dtype=dtype)
    rf = np.ascontiguousarray(r).reshape(-1)
    w = weight if weight is not None else rf
    if hw == 1:                                                # (N, C): rows are contiguous
        from nnblocks.kernels.norm_rows import batch_norm_rows_backward

        batch_norm_rows_backward(gyf, np.ascontiguousarray(xhat).reshape(-1), n, c, rf, w,
                                 weight is not None, gx.reshape(-1), gw, gb)
        return gx, gw, gb
    ranges = _split_channels(c, n * c * hw)
    threads.run(lambda i: batch_norm_backward_channels(
        gyf, xhat.reshape(-1), n, c, hw, *ranges[i], rf, w, weight is not None,
        gx.reshape(-1), gw, gb), len(ranges))
    return gx, gw, gb
