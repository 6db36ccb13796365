r"""Compiled element-wise part of one LSTM time step
(:class:`nnblocks.functional.lstm.LSTMLayerBlock`).

Per step the reference runs about a dozen NumPy operations forward (three per sigmoid, two
tanh, the cell update) and two dozen backward, each a pass over an ``(N, 4H)`` or ``(N, H)``
array with a temporary; at the sizes of the benchmarks (N 32-64, H 256-512) each costs
10-30 µs. Forward keeps NumPy's vectorized ``tanh`` (a scalar C-library ``tanh`` per element
in a compiled loop measured ~1.6x slower than the whole NumPy step) but applies it to all four
gates in one call (``σ(a) = 1/2 + tanh(a/2)/2``, as the reference) and does the rest in one
compiled pass; backward has no transcendental function and is one compiled pass
(:math:`g_{a_t}` and :math:`g_c^{next}`). The operations and their order are the reference's,
so results agree with it to an ulp or so (NumPy's ``tanh`` may round a value differently in
its vector body and its scalar tail). The GEMMs stay in :mod:`nnblocks.functional.lstm`.
"""

from __future__ import annotations

import numpy as np

from nnblocks.kernels import kernel

Array = np.ndarray
U = np.uint64


@kernel
def lstm_gates_cell(a, c_prev, n, h, c_next):
    """``a (N, 4H)``: ``tanh`` of the scaled pre-activations in (``tanh(a/2)`` for i, f, o;
    ``tanh(a)`` for g), the activated gates out (in place: ``σ(a) = 1/2 + tanh(a/2)/2``);
    writes :math:`c_t = f c_{t-1} + i g` to ``c_next (N, H)``. All flat, C order."""
    half = a.dtype.type(0.5)
    for r in range(n):
        base = U(r * 4 * h)
        row = U(r * h)
        for j in range(U(h)):
            i = half + half * a[base + j]
            f = half + half * a[base + U(h) + j]
            g = a[base + U(2 * h) + j]
            a[base + j] = i
            a[base + U(h) + j] = f
            a[base + U(3 * h) + j] = half + half * a[base + U(3 * h) + j]
            c = f * c_prev[row + j]
            c_next[row + j] = c + i * g


def forward_step(a: Array, c_prev: Array, c_next: Array, tanh_c: Array, h_next: Array,
                 scale: Array) -> None:
    """One step's element-wise work on ``a (N, 4H)`` = its pre-activations (see module doc):
    NumPy's vectorized ``tanh`` for the five nonlinearities (two calls), one compiled pass for
    the rest. ``scale (4H,)`` is 1/2 on the rows of i, f, o and 1 on g's."""
    n, four_h = a.shape
    h = four_h // 4
    np.multiply(a, scale, out=a)                                  # a/2 for i, f, o (exact)
    np.tanh(a, out=a)
    lstm_gates_cell(a.reshape(-1), c_prev.reshape(-1), n, h, c_next.reshape(-1))
    np.tanh(c_next, out=tanh_c)
    np.multiply(a[:, 3 * h:], tanh_c, out=h_next)                 # h_t = o tanh(c_t)


def gate_scale(h: int, dtype: np.dtype) -> Array:
    """``(4H,)``: 1/2 on the rows of i, f, o, 1 on g's (see :func:`forward_step`)."""
    scale = np.full(4 * h, 0.5, dtype=dtype)
    scale[2 * h:3 * h] = 1.0
    return scale


@kernel
def lstm_backward_step(a, c_prev, tanh_c, g_out, g_h_next, g_c_next, n, h, ga, g_c_out):
    """Gradients of one step: ``ga (N, 4H)`` of the pre-activations and ``g_c_out (N, H)``
    (:math:`g_c^{next}` for the step before) from the activated gates ``a``, ``c_{t-1}``,
    ``tanh c_t``, ``g_{y_t}`` and the incoming ``g_h^{next}``, ``g_c^{next}``. Flat, C order."""
    one = a.dtype.type(1.0)
    for r in range(n):
        base = U(r * 4 * h)
        row = U(r * h)
        for j in range(U(h)):
            i = a[base + j]
            f = a[base + U(h) + j]
            g = a[base + U(2 * h) + j]
            o = a[base + U(3 * h) + j]
            tc = tanh_c[row + j]
            gh = g_out[row + j] + g_h_next[row + j]
            gc = g_c_next[row + j] + gh * o * (one - tc * tc)
            ga[base + j] = gc * g * i * (one - i)
            ga[base + U(h) + j] = gc * c_prev[row + j] * f * (one - f)
            ga[base + U(2 * h) + j] = gc * i * (one - g * g)
            ga[base + U(3 * h) + j] = gh * tc * o * (one - o)
            g_c_out[row + j] = gc * f


def supported(*arrays: Array) -> bool:
    """float32/float64 arrays of one dtype."""
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype for a in arrays)


def flat(a: Array) -> Array:
    """A C-contiguous flat view (a copy only when ``a`` is not contiguous)."""
    return np.ascontiguousarray(a).reshape(-1)
