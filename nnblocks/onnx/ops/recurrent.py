"""Recurrent layers as ONNX ``RNN``, ``LSTM`` and ``GRU`` (one node per layer and direction).

nnblocks keeps PyTorch's parameter layout; ONNX orders the gates differently, so the weights are
reordered in the graph (Split + Concat of the initializers, folded by any runtime; the
initializers stay the state_dict tensors):

- LSTM: PyTorch ``(i, f, g, o)`` -> ONNX ``(i, o, f, c)``;
- GRU: PyTorch ``(r, z, n)`` -> ONNX ``(z, r, h)``, with ``linear_before_reset=1`` (the reset
  gate multiplies ``W_hn h + b_hn``, as in PyTorch and cuDNN);
- RNN: one gate; ``activations`` Tanh or Relu.

Layout: nnblocks' blocks read ``(T, N, D)`` and give ``(T, N, H)`` and ``(N, H)``; ONNX gives
``Y (T, 1, N, H)`` and ``Y_h (1, N, H)`` for one direction, squeezed back. A reverse-direction
block becomes ``direction='reverse'`` (outputs in the input's time order in both). A zero
initial state (the default) is left out: ONNX's default is zeros too, for any batch size.
"""

from __future__ import annotations

import numpy as np

from nnblocks.functional import gru, lstm, rnn
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts

#: ONNX gate k takes PyTorch gate ORDER[k]
LSTM_ORDER = (0, 3, 1, 2)
GRU_ORDER = (1, 0, 2)


def _gates(ctx: OpContext, name: str, gates: int, hidden: int, order: tuple[int, ...]) -> str:
    """A weight or bias ``(G H, *)`` with its gate blocks reordered for ONNX."""
    if order == tuple(range(gates)):
        return name
    g = ctx.g
    parts = g.node("Split", [name, g.ints([hidden] * gates)], outputs=gates, axis=0)
    return g.node("Concat", [parts[k] for k in order], axis=0)


def _state(ctx: OpContext, i: int) -> str | None:
    """Initial state input ``i`` ``(N, H)`` as ONNX's ``(1, N, H)``; None for zeros."""
    if ctx.is_constant(i) and not np.any(ctx.array(i)):
        return None
    return ctx.g.unsqueeze(ctx.input(i), [0])


def _recurrent(ctx: OpContext, op_type: str, first_weight: int, gates: int,
               order: tuple[int, ...], states: tuple[int, ...], **attrs: object) -> list[str]:
    g = ctx.g
    hidden = ctx.shape(first_weight + 1)[1]
    w = _gates(ctx, ctx.input(first_weight), gates, hidden, order)
    w = g.unsqueeze(w, [0])                                                      # (1, G H, D)
    r = _gates(ctx, ctx.input(first_weight + 1), gates, hidden, order)
    r = g.unsqueeze(r, [0])                                                      # (1, G H, H)
    b_ih, b_hh = ctx.input(first_weight + 2), ctx.input(first_weight + 3)
    b = None
    if b_ih is not None or b_hh is not None:
        zeros = None
        if b_ih is None or b_hh is None:
            zeros = g.initializer(np.zeros(gates * hidden, dtype=ctx.dtype(0)))
        b = g.node("Concat", [_gates(ctx, b_ih or zeros, gates, hidden, order),
                              _gates(ctx, b_hh or zeros, gates, hidden, order)], axis=0)
        b = g.unsqueeze(b, [0])                                                  # (1, 2 G H)
    initial = [_state(ctx, i) for i in states]
    direction = "reverse" if ctx.hyper.get("reverse", False) else "forward"
    outs = g.node(op_type, [ctx.input(0), w, r, b, None, *initial], outputs=1 + len(states),
                  hidden_size=int(hidden), direction=direction, **attrs)
    y = g.squeeze(outs[0], [1])                                                  # (T, N, H)
    return [y] + [g.squeeze(s, [0]) for s in outs[1:]]                           # (N, H)


@converts(rnn.RNNLayerBlock)
def rnn_layer(ctx: OpContext) -> list[str]:
    """Inputs ``(x, h0, w_ih, w_hh, b_ih, b_hh)``; outputs ``(y, h_n)``."""
    act = "Relu" if ctx.hyper.get("nonlinearity", "tanh") == "relu" else "Tanh"
    return _recurrent(ctx, "RNN", 2, 1, (0,), (1,), activations=[act])


@converts(lstm.LSTMLayerBlock)
def lstm_layer(ctx: OpContext) -> list[str]:
    """Inputs ``(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``; outputs ``(y, h_n, c_n)``."""
    return _recurrent(ctx, "LSTM", 3, 4, LSTM_ORDER, (1, 2))


@converts(gru.GRULayerBlock)
def gru_layer(ctx: OpContext) -> list[str]:
    """Inputs ``(x, h0, w_ih, w_hh, b_ih, b_hh)``; outputs ``(y, h_n)``."""
    return _recurrent(ctx, "GRU", 2, 3, GRU_ORDER, (1,), linear_before_reset=1)
