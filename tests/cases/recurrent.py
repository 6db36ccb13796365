"""Block-table cases for the recurrent blocks: RNNLayer, LSTMLayer, GRULayer (and their cells).

PyTorch parity goes through PyTorch's own fused ops (``torch.rnn_tanh``, ``torch.lstm``,
``torch.gru`` with one layer, and ``torch.*_cell``); the reverse direction is compared with
PyTorch run on the time-flipped sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import nnblocks as nb
from nnblocks.functional.gru import GRULayerBlock, gru_cell, gru_layer
from nnblocks.functional.lstm import LSTMLayerBlock, lstm_cell, lstm_layer
from nnblocks.functional.rnn import RNNLayerBlock, rnn_cell, rnn_layer
from tests.cases import Case

GATES = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}


def _inputs(kind: str, T: int, N: int, D: int, H: int, bias: bool = True,
            cell: bool = False) -> Callable[[np.random.Generator], list]:
    """x, h0 (, c0), w_ih, w_hh (, b_ih, b_hh) as float64 tensors that require grad."""
    G = GATES[kind] * H

    def make(rng: np.random.Generator) -> list:
        def t(*shape: int, scale: float = 1.0) -> nb.Tensor:
            return nb.tensor(scale * rng.standard_normal(shape), requires_grad=True)

        x = t(N, D) if cell else t(T, N, D)
        n_states = 2 if kind == "lstm" else 1
        states = [t(N, H, scale=0.5) for _ in range(n_states)]
        weights = [t(G, D, scale=0.6), t(G, H, scale=0.6)]
        if bias:
            weights += [t(G, scale=0.3), t(G, scale=0.3)]
        return [x, *states, *weights]

    return make


def _torch_layer(kind: str, bias: bool, reverse: bool) -> Callable:
    """PyTorch's single-layer fused op, on the flipped sequence for ``reverse``."""

    def fn(x, *rest):
        import torch

        n_states = 2 if kind == "lstm" else 1
        states = tuple(s[None] for s in rest[:n_states])
        params = list(rest[n_states:])
        xs = x.flip(0) if reverse else x
        op = {"tanh": torch.rnn_tanh, "relu": torch.rnn_relu, "lstm": torch.lstm,
              "gru": torch.gru}[kind]
        hx = states if kind == "lstm" else states[0]
        y, *finals = op(xs, hx, params, bias, 1, 0.0, False, False, False)
        y = y.flip(0) if reverse else y
        return (y, *(f[0] for f in finals))

    return fn


def _nb_layer(kind: str, reverse: bool) -> Callable:
    def fn(x, *rest):
        if kind == "lstm":
            h0, c0, *params = rest
            return lstm_layer(x, (h0, c0), *params, reverse=reverse)
        h0, *params = rest
        if kind == "gru":
            return gru_layer(x, h0, *params, reverse=reverse)
        return rnn_layer(x, h0, *params, nonlinearity=kind, reverse=reverse)

    return fn


def _torch_cell(kind: str) -> Callable:
    def fn(x, *rest):
        import torch

        if kind == "lstm":
            h, c, *params = rest
            return torch.lstm_cell(x, (h, c), *params)
        op = {"tanh": torch.rnn_tanh_cell, "relu": torch.rnn_relu_cell,
              "gru": torch.gru_cell}[kind]
        return op(x, *rest)

    return fn


def _nb_cell(kind: str) -> Callable:
    def fn(x, *rest):
        if kind == "lstm":
            h, c, *params = rest
            return lstm_cell(x, (h, c), *params)
        if kind == "gru":
            return gru_cell(x, *rest)
        return rnn_cell(x, *rest, nonlinearity=kind)

    return fn


BLOCKS = {"tanh": RNNLayerBlock, "relu": RNNLayerBlock, "lstm": LSTMLayerBlock,
          "gru": GRULayerBlock}

CASES = []
for _kind in ("tanh", "relu", "lstm", "gru"):
    for _tag, (_T, _N, _bias, _reverse) in {
        "": (3, 2, True, False),
        "_reverse": (3, 2, True, True),
        "_nobias": (2, 2, False, False),
        "_t1_n1": (1, 1, True, True),
    }.items():
        CASES.append(Case(
            block=BLOCKS[_kind],
            name=f"{_kind}_layer{_tag}",
            fn=_nb_layer(_kind, _reverse),
            make_inputs=_inputs(_kind, _T, _N, 3, 3, bias=_bias),
            torch_fn=_torch_layer(_kind, _bias, _reverse),
        ))
    CASES.append(Case(
        block=BLOCKS[_kind],
        name=f"{_kind}_cell",
        fn=_nb_cell(_kind),
        make_inputs=_inputs(_kind, 1, 2, 3, 3, cell=True),
        torch_fn=_torch_cell(_kind),
    ))
