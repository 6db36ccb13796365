r"""The LSTM layer (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) as
one fused block over the whole sequence, and its cell."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.recurrent import (
    add_biases,
    check_layer,
    input_projection,
    parameter_grads,
    run_cell,
    run_layer,
    sigmoid,
    time_order,
)
from nnblocks.kernels import lstm_cell as kernel_lstm
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray


class LSTMLayerBlock(Block):
    r"""One LSTM layer, one direction, over a whole sequence (fused BPTT); PyTorch's equations.

    Forward, gates stacked in PyTorch's order :math:`(i, f, g, o)` in the rows of the weights:

    .. math::
        a_t &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}
             = [a^i_t; a^f_t; a^g_t; a^o_t] \\
        i_t &= \sigma(a^i_t), \quad f_t = \sigma(a^f_t), \quad g_t = \tanh(a^g_t),
             \quad o_t = \sigma(a^o_t) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Outputs :math:`y_t = h_t` for all t, :math:`h_n = h_T`, :math:`c_n = c_T`.

    Backward through time, :math:`t = T \dots 1`, starting from :math:`g_{h}^{next} = g_{h_n}`,
    :math:`g_{c}^{next} = g_{c_n}`:

    .. math::
        g_{h_t} &= g_{y_t} + g_{h}^{next}, \qquad
        g_{c_t} = g_{c}^{next} + g_{h_t} \odot o_t \odot (1 - \tanh^2 c_t) \\
        g_{a^i_t} &= g_{c_t} \odot g_t \odot i_t (1 - i_t), \quad
        g_{a^f_t} = g_{c_t} \odot c_{t-1} \odot f_t (1 - f_t) \\
        g_{a^g_t} &= g_{c_t} \odot i_t \odot (1 - g_t^2), \quad
        g_{a^o_t} = g_{h_t} \odot \tanh(c_t) \odot o_t (1 - o_t) \\
        g_{c}^{next} &= g_{c_t} \odot f_t, \qquad g_{h}^{next} = W_{hh}^\top g_{a_t}

    ending with :math:`g_{h_0} = g_h^{next}`, :math:`g_{c_0} = g_c^{next}`; the input and the
    shared weights get :math:`g_{x_t} = W_{ih}^\top g_{a_t}`,
    :math:`g_{W_{ih}} = \sum_t g_{a_t} x_t^\top`, :math:`g_{W_{hh}} = \sum_t g_{a_t}
    h_{t-1}^\top`, :math:`g_{b_{ih}} = g_{b_{hh}} = \sum_t g_{a_t}` (one GEMM each, see
    :func:`~nnblocks.functional.recurrent.parameter_grads`).

    Shapes:
        x: ``(T, N, D)``; h0, c0: ``(N, H)``; w_ih: ``(4H, D)``; w_hh: ``(4H, H)``;
        b_ih, b_hh: ``(4H,)`` or None. Outputs y ``(T, N, H)``, h_n ``(N, H)``, c_n ``(N, H)``.

    Hyper-parameters:
        reverse: process :math:`t = T \dots 1` (reverse direction of a bidirectional layer).

    Saved: the activated gates ``(T, N, 4H)``, the states :math:`h_0 \dots h_T` and
    :math:`c_0 \dots c_T`, and :math:`\tanh c_t` ``(T, N, H)``.
    """

    compiled_twin = Twin(kernel_lstm.supported)                 # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(
        x: Array,
        h0: Array,
        c0: Array,
        w_ih: Array,
        w_hh: Array,
        b_ih: Array | None = None,
        b_hh: Array | None = None,
        *,
        reverse: bool = False,
    ) -> tuple[tuple[Array, Array, Array], tuple]:
        T, N, D, H = check_layer(
            "lstm_layer", x, {"h_0": h0, "c_0": c0}, w_ih, w_hh, b_ih, b_hh, 4
        )
        xs = time_order(x, reverse)                               # (T, N, D)
        gates = input_projection(xs, w_ih, add_biases(b_ih, b_hh))  # (T, N, 4H)
        hs = np.empty((T + 1, N, H), dtype=x.dtype)               # h_0 ... h_T
        cs = np.empty((T + 1, N, H), dtype=x.dtype)               # c_0 ... c_T
        tanh_c = np.empty((T, N, H), dtype=x.dtype)               # tanh(c_1) ... tanh(c_T)
        hs[0] = h0
        cs[0] = c0
        # the element-wise part of each step compiled (one pass) or as NumPy operations
        compiled = use_compiled(LSTMLayerBlock, gates, hs, w_hh)
        scale = kernel_lstm.gate_scale(H, gates.dtype) if compiled else None
        for t in range(T):
            a = gates[t]                                          # (N, 4H), activated in place
            a += (w_hh @ hs[t].T).T           # W_hh h_t as (4H, N): no transposed copy of W_hh
            if compiled:
                kernel_lstm.forward_step(a, cs[t], cs[t + 1], tanh_c[t], hs[t + 1], scale)
                continue
            a[:, :2 * H] = sigmoid(a[:, :2 * H])                  # i, f
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])     # g
            a[:, 3 * H:] = sigmoid(a[:, 3 * H:])                  # o
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            np.multiply(f, cs[t], out=cs[t + 1])                  # (N, H)
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        y = hs[1:]                                                # (T, N, H)
        if reverse:
            y = np.ascontiguousarray(y[::-1])
        saved = (xs, gates, hs, cs, tanh_c, w_ih, w_hh, reverse,
                 b_ih is not None, b_hh is not None, compiled)
        return (y, hs[T], cs[T]), saved

    @staticmethod
    def backward(saved: tuple, gy: tuple[Array, Array, Array]) -> tuple[Array | None, ...]:
        xs, gates, hs, cs, tanh_c, w_ih, w_hh, reverse, has_b_ih, has_b_hh, compiled = saved
        g_out, g_hn, g_cn = gy
        g_out = time_order(g_out, reverse)                        # (T, N, H) processing order
        T, N, H = tanh_c.shape
        ga = np.empty_like(gates)                                 # (T, N, 4H)
        g_h_next = g_hn                                           # (N, H)
        g_c_next = g_cn                                           # (N, H)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            if compiled and kernel_lstm.supported(a, g_out, g_h_next, g_c_next):
                g_c_out = np.empty((N, H), dtype=a.dtype)
                kernel_lstm.lstm_backward_step(
                    a.reshape(-1), cs[t].reshape(-1), tanh_c[t].reshape(-1),
                    kernel_lstm.flat(g_out[t]), kernel_lstm.flat(g_h_next),
                    kernel_lstm.flat(g_c_next), N, H, ga[t].reshape(-1), g_c_out.reshape(-1))
                g_c_next = g_c_out                                # (N, H)
                g_h_next = ga[t] @ w_hh                           # (N, H)
                continue
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            tc = tanh_c[t]
            gh = g_out[t] + g_h_next                              # (N, H)
            gc = g_c_next + gh * o * (1.0 - tc * tc)              # (N, H)
            ga[t, :, :H] = gc * g * i * (1.0 - i)
            ga[t, :, H:2 * H] = gc * cs[t] * f * (1.0 - f)
            ga[t, :, 2 * H:3 * H] = gc * i * (1.0 - g * g)
            ga[t, :, 3 * H:] = gh * tc * o * (1.0 - o)
            g_c_next = gc * f                                     # (N, H)
            g_h_next = ga[t] @ w_hh                               # (N, H)
        gx, g_w_ih, g_w_hh, g_b_ih, g_b_hh = parameter_grads(
            ga, ga, xs, hs[:-1], w_ih, has_b_ih, has_b_hh, reverse
        )
        return gx, g_h_next, g_c_next, g_w_ih, g_w_hh, g_b_ih, g_b_hh


def lstm_layer(
    input: Any,
    hx: tuple[Any, Any] | None,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """Run one LSTM layer over a ``(T, N, D)`` sequence (:class:`LSTMLayerBlock`); returns
    ``(output (T, N, H), h_n (N, H), c_n (N, H))``. ``hx`` is ``(h_0, c_0)`` or None (zeros).

    >>> import nnblocks as nb
    >>> import nnblocks.functional as F
    >>> x = nb.tensor(np.ones((5, 2, 3)))
    >>> w_ih, w_hh = nb.tensor(np.full((16, 3), 0.1)), nb.tensor(np.zeros((16, 4)))
    >>> y, h_n, c_n = F.lstm_layer(x, None, w_ih, w_hh)
    >>> y.shape, c_n.shape
    ((5, 2, 4), (2, 4))
    """
    return run_layer(LSTMLayerBlock, input, (None, None) if hx is None else tuple(hx),
                     (w_ih, w_hh, b_ih, b_hh), reverse=reverse)


def lstm_cell(
    input: Any,
    hx: tuple[Any, Any] | None,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
) -> tuple[Tensor, Tensor]:
    r"""One LSTM step, as ``torch.lstm_cell``: returns ``(h', c')``. An :class:`LSTMLayerBlock`
    over a sequence of length 1. Shapes: input ``(N, D)``, hx ``((N, H), (N, H))`` or None (zeros).
    """
    h, c = run_cell("lstm_cell", LSTMLayerBlock, input, (None, None) if hx is None else tuple(hx),
                    (w_ih, w_hh, b_ih, b_hh))
    return h, c
