r"""The GRU layer (Cho et al. 2014, in PyTorch's variant) as one fused block over the whole
sequence, and its cell."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.recurrent import (
    check_cell_input,
    check_layer,
    input_projection,
    parameter_grads,
    sigmoid,
    time_order,
    zeros_state,
)
from nnblocks.functional.shape import unsqueeze

Array = np.ndarray


class GRULayerBlock(Block):
    r"""One GRU layer, one direction, over a whole sequence (fused BPTT); PyTorch's equations.

    Forward, gates stacked in PyTorch's order :math:`(r, z, n)` in the rows of the weights:

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Note :math:`r_t` multiplies :math:`W_{hn} h_{t-1} + b_{hn}` (PyTorch, cuDNN), not
    :math:`h_{t-1}` before the product (the original paper). Outputs :math:`y_t = h_t`,
    :math:`h_n = h_T`.

    Backward through time, :math:`t = T \dots 1`, from :math:`g_h^{next} = g_{h_n}`; write
    :math:`m_t = W_{hn} h_{t-1} + b_{hn}` and split each pre-activation gradient into its input
    part :math:`g_{a^x}` (multiplies :math:`W_{ih}`) and hidden part :math:`g_{a^h}`
    (multiplies :math:`W_{hh}`):

    .. math::
        g_{h_t} &= g_{y_t} + g_h^{next} \\
        g_{a^n_t} &= g_{h_t} \odot (1 - z_t) \odot (1 - n_t^2), \qquad
        g_{a^z_t} = g_{h_t} \odot (h_{t-1} - n_t) \odot z_t (1 - z_t) \\
        g_{a^r_t} &= g_{a^n_t} \odot m_t \odot r_t (1 - r_t) \\
        g_{a^x_t} &= [g_{a^r_t}; g_{a^z_t}; g_{a^n_t}], \qquad
        g_{a^h_t} = [g_{a^r_t}; g_{a^z_t}; g_{a^n_t} \odot r_t] \\
        g_h^{next} &= g_{h_t} \odot z_t + W_{hh}^\top g_{a^h_t}

    ending with :math:`g_{h_0} = g_h^{next}`; then :math:`g_{x_t} = W_{ih}^\top g_{a^x_t}`,
    :math:`g_{W_{ih}} = \sum_t g_{a^x_t} x_t^\top`, :math:`g_{W_{hh}} = \sum_t g_{a^h_t}
    h_{t-1}^\top`, :math:`g_{b_{ih}} = \sum_t g_{a^x_t}`, :math:`g_{b_{hh}} = \sum_t g_{a^h_t}`.

    Shapes:
        x: ``(T, N, D)``; h0: ``(N, H)``; w_ih: ``(3H, D)``; w_hh: ``(3H, H)``; b_ih, b_hh:
        ``(3H,)`` or None. Outputs y ``(T, N, H)`` and h_n ``(N, H)``.

    Hyper-parameters:
        reverse: process :math:`t = T \dots 1` (reverse direction of a bidirectional layer).

    Saved: the activated gates :math:`(r_t, z_t, n_t)` ``(T, N, 3H)``, :math:`m_t`
    ``(T, N, H)`` and the states :math:`h_0 \dots h_T`.
    """

    @staticmethod
    def forward(
        x: Array,
        h0: Array,
        w_ih: Array,
        w_hh: Array,
        b_ih: Array | None = None,
        b_hh: Array | None = None,
        *,
        reverse: bool = False,
    ) -> tuple[tuple[Array, Array], tuple]:
        T, N, D, H = check_layer("gru_layer", x, {"h_0": h0}, w_ih, w_hh, b_ih, b_hh, 3)
        xs = time_order(x, reverse)                               # (T, N, D)
        gates = input_projection(xs, w_ih, b_ih)                  # (T, N, 3H), input parts
        hs = np.empty((T + 1, N, H), dtype=x.dtype)               # h_0 ... h_T
        m = np.empty((T, N, H), dtype=x.dtype)                    # W_hn h_{t-1} + b_hn
        hs[0] = h0
        w_hh_t = np.ascontiguousarray(w_hh.T)                     # (H, 3H): faster GEMMs
        for t in range(T):
            a_h = hs[t] @ w_hh_t                                  # (N, 3H), hidden parts
            if b_hh is not None:
                a_h += b_hh
            a = gates[t]                                          # (N, 3H), activated in place
            a[:, :2 * H] = sigmoid(a[:, :2 * H] + a_h[:, :2 * H])  # r, z
            m[t] = a_h[:, 2 * H:]
            r, z = a[:, :H], a[:, H:2 * H]
            n = a[:, 2 * H:]
            n += r * m[t]
            np.tanh(n, out=n)                                     # n
            np.subtract(hs[t], n, out=hs[t + 1])                  # h = n + z (h_prev - n)
            hs[t + 1] *= z
            hs[t + 1] += n
        y = hs[1:]                                                # (T, N, H)
        if reverse:
            y = np.ascontiguousarray(y[::-1])
        saved = (xs, gates, hs, m, w_ih, w_hh, reverse, b_ih is not None, b_hh is not None)
        return (y, hs[T]), saved

    @staticmethod
    def backward(saved: tuple, gy: tuple[Array, Array]) -> tuple[Array | None, ...]:
        xs, gates, hs, m, w_ih, w_hh, reverse, has_b_ih, has_b_hh = saved
        g_out, g_hn = gy
        g_out = time_order(g_out, reverse)                        # (T, N, H) processing order
        T, N, H = m.shape
        ga_x = np.empty_like(gates)                               # (T, N, 3H)
        ga_h = np.empty_like(gates)                               # (T, N, 3H)
        g_next = g_hn                                             # (N, H)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            gh = g_out[t] + g_next                                # (N, H)
            ga_n = gh * (1.0 - z) * (1.0 - n * n)
            ga_x[t, :, :H] = ga_n * m[t] * r * (1.0 - r)
            ga_x[t, :, H:2 * H] = gh * (hs[t] - n) * z * (1.0 - z)
            ga_x[t, :, 2 * H:] = ga_n
            ga_h[t, :, :2 * H] = ga_x[t, :, :2 * H]
            ga_h[t, :, 2 * H:] = ga_n * r
            g_next = gh * z + ga_h[t] @ w_hh                      # (N, H)
        gx, g_w_ih, g_w_hh, g_b_ih, g_b_hh = parameter_grads(
            ga_x, ga_h, xs, hs[:-1], w_ih, has_b_ih, has_b_hh, reverse
        )
        return gx, g_next, g_w_ih, g_w_hh, g_b_ih, g_b_hh


def gru_layer(
    input: Any,
    hx: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor]:
    """Run one GRU layer over a ``(T, N, D)`` sequence (:class:`GRULayerBlock`); returns
    ``(output (T, N, H), h_n (N, H))``. ``hx=None`` starts from zeros.

    >>> import nnblocks as nb
    >>> import nnblocks.functional as F
    >>> x = nb.tensor(np.ones((5, 2, 3)))
    >>> w_ih, w_hh = nb.tensor(np.full((12, 3), 0.1)), nb.tensor(np.zeros((12, 4)))
    >>> y, h_n = F.gru_layer(x, None, w_ih, w_hh)
    >>> y.shape, h_n.shape
    ((5, 2, 4), (2, 4))
    """
    if hx is None:
        hx = zeros_state(input, w_hh, 1)
    return GRULayerBlock.apply(input, hx, w_ih, w_hh, b_ih, b_hh, reverse=reverse)


def gru_cell(
    input: Any,
    hx: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
) -> Tensor:
    r"""One GRU step, as ``torch.gru_cell``: a :class:`GRULayerBlock` over a sequence of length 1.
    Shapes: input ``(N, D)``, hx ``(N, H)`` or None (zeros), result ``(N, H)``.
    """
    check_cell_input("gru_cell", input)
    if hx is None:
        hx = zeros_state(input, w_hh, 0)
    _, h = GRULayerBlock.apply(unsqueeze(input, 0), hx, w_ih, w_hh, b_ih, b_hh)
    return h
