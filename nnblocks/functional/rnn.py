r"""The Elman recurrent layer as one fused block over the whole sequence, and its cell."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.recurrent import (
    add_biases,
    check_cell_input,
    check_layer,
    input_projection,
    parameter_grads,
    time_order,
    zeros_state,
)
from nnblocks.functional.shape import unsqueeze

Array = np.ndarray

NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(name: str, nonlinearity: str) -> None:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
        )


class RNNLayerBlock(Block):
    r"""One layer of an Elman network, one direction, over a whole sequence (fused BPTT).

    Forward, for :math:`t = 1 \dots T` with shared parameters (lecture: :math:`a^{(t)} = b +
    W h^{(t-1)} + U x^{(t)}`, :math:`h^{(t)} = \tanh(a^{(t)})`; here :math:`U = W_{ih}`,
    :math:`W = W_{hh}`, :math:`b = b_{ih} + b_{hh}` as in PyTorch):

    .. math::
        a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \qquad h_t = f(a_t),
        \qquad y_t = h_t, \quad h_n = h_T

    with :math:`f = \tanh` (:math:`f'(a_t) = 1 - h_t^2`) or ReLU (:math:`f'(a_t) = [h_t > 0]`).

    Backward (backpropagation through time). :math:`h_t` reaches the loss through :math:`y_t`
    and through :math:`a_{t+1}`, so with :math:`g_{a_{T+1}} := 0` and
    :math:`g_{y_T} \mathrel{+}= g_{h_n}`, for :math:`t = T \dots 1`:

    .. math::
        g_{h_t} = g_{y_t} + W_{hh}^\top g_{a_{t+1}}, \qquad
        g_{a_t} = g_{h_t} \odot f'(a_t), \qquad g_{h_0} = W_{hh}^\top g_{a_1}

    and, the weights being shared through time, their gradients are sums over time:

    .. math::
        g_{x_t} = W_{ih}^\top g_{a_t}, \quad
        g_{W_{ih}} = \sum_t g_{a_t} x_t^\top, \quad
        g_{W_{hh}} = \sum_t g_{a_t} h_{t-1}^\top, \quad
        g_{b_{ih}} = g_{b_{hh}} = \sum_t g_{a_t}

    (each also summed over the batch). The input part of every :math:`a_t` is one GEMM before
    the loop; the three weight/input gradients are one GEMM each after it.

    Shapes:
        x: ``(T, N, D)``; h0: ``(N, H)``; w_ih: ``(H, D)``; w_hh: ``(H, H)``; b_ih, b_hh:
        ``(H,)`` or None. Outputs y ``(T, N, H)`` (:math:`h_t` for every t, in the input's
        time order) and h_n ``(N, H)`` (the state after the last processed step).

    Hyper-parameters:
        nonlinearity: ``'tanh'`` or ``'relu'``. reverse: process :math:`t = T \dots 1` (the
        reverse direction of a bidirectional layer); then h_n is the state after :math:`x_1`.

    Saved: the inputs in processing order and all states :math:`h_0 \dots h_T` — one
    ``(T + 1, N, H)`` array; :math:`f'` is recomputed from :math:`h_t`.
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
        nonlinearity: str = "tanh",
        reverse: bool = False,
    ) -> tuple[tuple[Array, Array], tuple]:
        check_nonlinearity("rnn_layer", nonlinearity)
        T, N, D, H = check_layer("rnn_layer", x, {"h_0": h0}, w_ih, w_hh, b_ih, b_hh, 1)
        xs = time_order(x, reverse)                               # (T, N, D)
        a = input_projection(xs, w_ih, add_biases(b_ih, b_hh))    # (T, N, H)
        hs = np.empty((T + 1, N, H), dtype=x.dtype)               # h_0 ... h_T
        hs[0] = h0
        w_hh_t = np.ascontiguousarray(w_hh.T)                     # (H, H): faster GEMMs
        for t in range(T):
            a[t] += hs[t] @ w_hh_t                                # (N, H)
            if nonlinearity == "tanh":
                np.tanh(a[t], out=hs[t + 1])
            else:
                np.maximum(a[t], 0, out=hs[t + 1])
        y = hs[1:]                                                # (T, N, H)
        if reverse:
            y = np.ascontiguousarray(y[::-1])
        saved = (xs, hs, w_ih, w_hh, nonlinearity, reverse, b_ih is not None, b_hh is not None)
        return (y, hs[T]), saved

    @staticmethod
    def backward(saved: tuple, gy: tuple[Array, Array]) -> tuple[Array | None, ...]:
        xs, hs, w_ih, w_hh, nonlinearity, reverse, has_b_ih, has_b_hh = saved
        g_out, g_hn = gy
        g_out = time_order(g_out, reverse)                        # (T, N, H) processing order
        T = xs.shape[0]
        ga = np.empty_like(hs[1:])                                # (T, N, H)
        g_next = g_hn                                             # W_hh^T g_{a_{t+1}}, (N, H)
        for t in range(T - 1, -1, -1):
            gh = g_out[t] + g_next                                # (N, H)
            h = hs[t + 1]
            if nonlinearity == "tanh":
                np.multiply(gh, 1.0 - h * h, out=ga[t])
            else:
                np.multiply(gh, h > 0, out=ga[t])
            g_next = ga[t] @ w_hh                                 # (N, H)
        gx, g_w_ih, g_w_hh, g_b_ih, g_b_hh = parameter_grads(
            ga, ga, xs, hs[:-1], w_ih, has_b_ih, has_b_hh, reverse
        )
        return gx, g_next, g_w_ih, g_w_hh, g_b_ih, g_b_hh


def rnn_layer(
    input: Any,
    hx: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    nonlinearity: str = "tanh",
    reverse: bool = False,
) -> tuple[Tensor, Tensor]:
    """Run one Elman layer over a ``(T, N, D)`` sequence (:class:`RNNLayerBlock`); returns
    ``(output (T, N, H), h_n (N, H))``. ``hx=None`` starts from zeros.

    >>> import nnblocks as nb
    >>> import nnblocks.functional as F
    >>> x = nb.tensor(np.ones((5, 2, 3)))
    >>> w_ih, w_hh = nb.tensor(np.full((4, 3), 0.1)), nb.tensor(np.eye(4) * 0.5)
    >>> y, h_n = F.rnn_layer(x, None, w_ih, w_hh)
    >>> y.shape, h_n.shape
    ((5, 2, 4), (2, 4))
    """
    if hx is None:
        hx = zeros_state(input, w_hh, 1)
    return RNNLayerBlock.apply(input, hx, w_ih, w_hh, b_ih, b_hh,
                          nonlinearity=nonlinearity, reverse=reverse)


def rnn_cell(
    input: Any,
    hx: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    r"""One Elman step :math:`h' = f(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`, as
    ``torch.rnn_tanh_cell`` / ``torch.rnn_relu_cell``: an :class:`RNNLayerBlock` over a sequence of
    length 1. Shapes: input ``(N, D)``, hx ``(N, H)`` or None (zeros), result ``(N, H)``.
    """
    check_cell_input("rnn_cell", input)
    if hx is None:
        hx = zeros_state(input, w_hh, 0)
    _, h = RNNLayerBlock.apply(unsqueeze(input, 0), hx, w_ih, w_hh, b_ih, b_hh,
                          nonlinearity=nonlinearity)
    return h
