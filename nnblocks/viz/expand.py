r"""Fused blocks written out in smaller blocks, for drawing (:func:`nnblocks.viz.graph`).

A fused block (``Linear``, ``CrossEntropy``, a whole ``RNNLayer``) is one node of the graph with a
hand-derived backward. To *show* what it computes, each function here recomputes the block's
outputs from its input tensors with smaller blocks, so the graph walker can draw them in its
place. They are drawings, not a second implementation: the numbers they produce are the fused
block's (checked in the tests), and nothing is ever backpropagated through them.

Two tables:

- :data:`PRIMITIVES` (``graph(..., expand=True)``): a fused block → primitive blocks
  (matmul, add, tanh, exp, log, indexing...).
- :data:`UNFOLDINGS` (``graph(..., unfold=True)``): a recurrent layer over T steps → T
  applications of its one-step cell, as the lecture draws the unfolded network

  .. math::
      h^{(t)} = f(h^{(t-1)}, x^{(t)}; \theta), \qquad t = 1 \dots T,

  every step taking the *same* parameter tensors θ.

Each function takes ``(inputs, saved)`` — the node's input tensors (None for constants) and what
its forward saved (where the hyper-parameters are) — and returns the outputs (a tuple for a
block with several outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nnblocks.functional as F
from nnblocks.core import Tensor
from nnblocks.functional.gru import GRULayerBlock
from nnblocks.functional.linear import LinearBlock
from nnblocks.functional.loss import CrossEntropyBlock
from nnblocks.functional.lstm import LSTMLayerBlock
from nnblocks.functional.rnn import RNNLayerBlock

Expansion = Callable[[Sequence[Any], Any], Any]


class Expanded(tuple):
    """The outputs of an expansion, with ``labels``: extra text for some of its nodes (the time
    step of each unfolded cell)."""

    labels: dict[Any, str]


def linear_primitives(inputs: Sequence[Any], saved: Any) -> Tensor:
    r""":math:`y = x W^\top + b` as ``transpose``, ``matmul`` and ``add``."""
    x, weight, bias = (list(inputs) + [None])[:3]
    y = F.matmul(x, F.transpose(weight, 0, 1))                   # (*, out)
    return y if bias is None else y + bias


def cross_entropy_primitives(inputs: Sequence[Any], saved: Any) -> Tensor:
    r"""The plain case (``(N, C)`` logits, class indices, mean): :math:`L = \frac1N \sum_n
    (\log \sum_c e^{z_{nc} - m_n} + m_n - z_{n, y_n})` with the row maximum m as a constant."""
    if saved is None or saved[0] != "plain" or saved[3] != "mean":
        raise NotImplementedError("cross_entropy: only the plain case is expanded")
    z, target = inputs[0], saved[2]
    m = z.array.max(axis=1, keepdims=True)                        # (N, 1), a constant shift
    log_sum = F.log(F.sum(F.exp(z - m), dim=1)) + m[:, 0]       # (N,)
    picked = z[np.arange(z.shape[0]), target]                    # (N,)
    return F.mean(log_sum - picked)


def _rnn_hyper(saved: Any) -> tuple[str, bool]:
    _, _, _, _, nonlinearity, reverse, _, _ = saved
    return nonlinearity, reverse


def _initial_state(h: Any, saved: Any) -> Any:
    """h_0: the input tensor, or (a constant, not kept by the node) the state the block saved."""
    return saved[1][0] if h is None else h


def _unfold(block: type, x: Any, states: list, weights: list, reverse: bool,
            **hyper: Any) -> tuple:
    """Apply ``block`` to one step ``x[t:t+1]`` at a time (in processing order), carrying the
    states; returns ``(y (T, N, H), *final states)``."""
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    hidden = {}
    for t in steps:
        _, *states = block.apply(x[t:t + 1], *states, *weights, **hyper)
        hidden[t] = states[0]                                    # h_t (N, H)
    y = F.stack([hidden[t] for t in range(x.shape[0])], dim=0)  # (T, N, H)
    out = Expanded((y, *states))
    out.labels = {hidden[t].grad_fn: f"t = {t + 1}" for t in hidden if hidden[t].grad_fn}
    return out


def rnn_unfolded(inputs: Sequence[Any], saved: Any) -> tuple[Tensor, Tensor]:
    r"""An Elman layer over T steps as T one-step cells :math:`h_t = f(W_{ih} x_t + b_{ih} +
    W_{hh} h_{t-1} + b_{hh})`, each an ``RNNLayer`` of length 1 fed ``x[t:t+1]``; the outputs
    are stacked back to ``(T, N, H)``."""
    x, h, *weights = (list(inputs) + [None] * 6)[:6]
    nonlinearity, reverse = _rnn_hyper(saved)
    return _unfold(RNNLayerBlock, x, [_initial_state(h, saved)], weights, reverse,
                   nonlinearity=nonlinearity)


def gru_unfolded(inputs: Sequence[Any], saved: Any) -> tuple[Tensor, Tensor]:
    """A GRU layer over T steps as T one-step ``GRULayer`` cells sharing the weights."""
    x, h, *weights = (list(inputs) + [None] * 6)[:6]
    h = saved[2][0] if h is None else h                          # h_0 (N, H)
    return _unfold(GRULayerBlock, x, [h], weights, saved[6])


def lstm_unfolded(inputs: Sequence[Any], saved: Any) -> tuple[Tensor, Tensor, Tensor]:
    """An LSTM layer over T steps as T one-step ``LSTMLayer`` cells sharing the weights; the
    cells pass on both the hidden state h and the cell state c."""
    x, h, c, *weights = (list(inputs) + [None] * 7)[:7]
    h = saved[2][0] if h is None else h                          # h_0 (N, H)
    c = saved[3][0] if c is None else c                          # c_0 (N, H)
    return _unfold(LSTMLayerBlock, x, [h, c], weights, saved[7])


def rnn_primitives(inputs: Sequence[Any], saved: Any) -> tuple[Tensor, Tensor]:
    r"""An Elman layer written out step by step in primitives: ``x[t] @ W_ih^T + b_ih +
    h @ W_hh^T + b_hh``, then ``tanh`` (or ReLU as ``maximum(a, 0)``)."""
    x, h, w_ih, w_hh, b_ih, b_hh = (list(inputs) + [None] * 6)[:6]
    nonlinearity, reverse = _rnn_hyper(saved)
    h = _initial_state(h, saved)                                 # (N, H)
    w_ih_t = F.transpose(w_ih, 0, 1)                             # (D, H)
    w_hh_t = F.transpose(w_hh, 0, 1)                             # (H, H)
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    states = {}
    for t in steps:
        a = F.matmul(x[t], w_ih_t) + F.matmul(h, w_hh_t)         # (N, H)
        for b in (b_ih, b_hh):
            if b is not None:
                a = a + b
        h = F.tanh(a) if nonlinearity == "tanh" else F.maximum(a, 0.0)
        states[t] = h
    y = F.stack([states[t] for t in range(x.shape[0])], dim=0)  # (T, N, H)
    return y, h


#: fused block → the same computation in primitive blocks (``expand=True``)
PRIMITIVES: dict[type, Expansion] = {
    LinearBlock: linear_primitives,
    CrossEntropyBlock: cross_entropy_primitives,
    RNNLayerBlock: rnn_primitives,
}

#: recurrent layer → one cell per time step (``unfold=True``); only layers of T > 1 steps
UNFOLDINGS: dict[type, Expansion] = {
    RNNLayerBlock: rnn_unfolded,
    GRULayerBlock: gru_unfolded,
    LSTMLayerBlock: lstm_unfolded,
}


def steps_of(block: type, inputs: Sequence[Any]) -> int | None:
    """Time steps T of a recurrent block's application (its input is ``(T, N, D)``), else None."""
    if block in UNFOLDINGS and inputs and inputs[0] is not None:
        return int(inputs[0].shape[0])
    return None
