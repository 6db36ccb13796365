"""Recurrent blocks beyond the table: BPTT equals the unrolled graph, reverse direction, dtypes,
extreme values, long sequences and error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks.functional.gru import GRULayerBlock
from nnblocks.functional.lstm import LSTMLayerBlock
from nnblocks.functional.rnn import RNNLayerBlock

GATES = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}


def _weights(kind: str, D: int, H: int, rng: np.random.Generator, dtype=np.float64,
             scale: float = 0.5) -> list[nb.Tensor]:
    G = GATES[kind] * H
    shapes = [(G, D), (G, H), (G,), (G,)]
    return [nb.tensor((scale * rng.standard_normal(s)).astype(dtype), requires_grad=True)
            for s in shapes]


def _layer(kind: str, x, state, weights, reverse=False):
    if kind == "lstm":
        return F.lstm_layer(x, state, *weights, reverse=reverse)
    if kind == "gru":
        return F.gru_layer(x, state, *weights, reverse=reverse)
    return F.rnn_layer(x, state, *weights, nonlinearity=kind, reverse=reverse)


def _cell(kind: str, x, state, weights):
    if kind == "lstm":
        return F.lstm_cell(x, state, *weights)
    if kind == "gru":
        return F.gru_cell(x, state, *weights)
    return F.rnn_cell(x, state, *weights, nonlinearity=kind)


@pytest.mark.parametrize("kind", list(GATES))
def test_fused_bptt_equals_unrolled_cells(kind: str, rng: np.random.Generator) -> None:
    """The fused block's hand-written BPTT gives the same gradients as autograd through the
    unfolded graph of T separate cell applications sharing the same weights."""
    T, N, D, H = 6, 2, 3, 4
    x = nb.tensor(rng.standard_normal((T, N, D)), requires_grad=True)
    weights = _weights(kind, D, H, rng)
    u = rng.standard_normal((T, N, H))
    y, *_ = _layer(kind, x, None, weights)
    (y * nb.tensor(u)).sum().backward()
    fused = [x.grad.array.copy()] + [w.grad.array.copy() for w in weights]
    for t in [x, *weights]:
        t.grad = None
    state = None
    outputs = []
    for t in range(T):
        state = _cell(kind, x[t], state, weights)
        outputs.append(state[0] if kind == "lstm" else state)
    unrolled_y = F.stack(outputs, 0)
    np.testing.assert_allclose(unrolled_y.array, y.array, atol=1e-12)
    (unrolled_y * nb.tensor(u)).sum().backward()
    for got, t in zip(fused, [x, *weights]):
        np.testing.assert_allclose(got, t.grad, atol=1e-12)


@pytest.mark.parametrize("kind", list(GATES))
def test_reverse_is_forward_on_the_flipped_sequence(kind: str, rng: np.random.Generator) -> None:
    x = rng.standard_normal((5, 2, 3))
    weights = _weights(kind, 3, 4, rng)
    y_rev, h_rev, *_ = _layer(kind, nb.tensor(x), None, weights, reverse=True)
    y_fwd, h_fwd, *_ = _layer(kind, nb.tensor(x[::-1].copy()), None, weights)
    np.testing.assert_allclose(y_rev.array, y_fwd.array[::-1], atol=1e-12)
    np.testing.assert_allclose(h_rev.array, h_fwd.array, atol=1e-12)
    np.testing.assert_allclose(h_rev.array, y_rev.array[0], atol=1e-12)  # state after x_1


@pytest.mark.parametrize("kind", list(GATES))
def test_float32_stays_float32_in_the_blocks(kind: str, rng: np.random.Generator) -> None:
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    h0 = np.zeros((2, 5), dtype=np.float32)
    weights = [w.array for w in _weights(kind, 3, 5, rng, dtype=np.float32)]
    block = {"lstm": LSTMLayerBlock, "gru": GRULayerBlock}.get(kind, RNNLayerBlock)
    states = (h0, h0) if kind == "lstm" else (h0,)
    hyper = {"nonlinearity": kind} if block is RNNLayerBlock else {}
    outs, saved = block.forward(x, *states, *weights, **hyper)
    assert all(o.dtype == np.float32 for o in outs)
    grads = block.backward(saved, tuple(np.ones_like(o) for o in outs))
    assert all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_saturating_inputs_stay_finite(kind: str, rng: np.random.Generator) -> None:
    """Pre-activations of ±1e4 saturate the gates without overflow warnings (errors here)."""
    x = nb.tensor(1e4 * np.sign(rng.standard_normal((4, 2, 3))), requires_grad=True)
    weights = _weights(kind, 3, 4, rng, scale=1.0)
    y, *_ = _layer(kind, x, None, weights)
    y.sum().backward()
    assert np.all(np.isfinite(y.array)) and np.all(np.abs(y.array) <= 1)
    assert all(np.all(np.isfinite(t.grad)) for t in [x, *weights])


def test_long_sequence_is_one_block(rng: np.random.Generator) -> None:
    """T = 3000 is one recorded block (no deep graph), backward runs the loop in NumPy."""
    x = nb.tensor(rng.standard_normal((3000, 2, 3)), requires_grad=True)
    weights = _weights("tanh", 3, 4, rng)
    y, h_n = F.rnn_layer(x, None, *weights)
    assert y.grad_fn.block is RNNLayerBlock and h_n.grad_fn is y.grad_fn
    h_n.sum().backward()
    assert np.all(np.isfinite(x.grad)) and np.abs(x.grad[-1]).sum() > 0


def test_block_errors_name_the_block_and_shapes(rng: np.random.Generator) -> None:
    x = nb.tensor(rng.standard_normal((4, 2, 3)))
    w = _weights("tanh", 3, 5, rng)
    with pytest.raises(ValueError, match=r"rnn_layer: input must have shape \(T, N, D\)"):
        F.rnn_layer(x[0], None, *w)
    with pytest.raises(ValueError, match=re.escape("rnn_layer: weight_ih has shape (5, 3), "
                                                   "expected (5, 2)")):
        F.rnn_layer(x[:, :, :2], None, *w)
    with pytest.raises(ValueError, match=re.escape("lstm_layer: h_0 has shape (3, 5), "
                                                   "expected (2, 5)")):
        lw = _weights("lstm", 3, 5, rng)
        F.lstm_layer(x, (np.zeros((3, 5)), np.zeros((2, 5))), *lw)
    with pytest.raises(ValueError, match=re.escape("gru_layer: weight_hh must have shape "
                                                   "(3 * hidden_size, hidden_size)")):
        F.gru_layer(x, None, *w)
    with pytest.raises(TypeError, match="rnn_layer: weight_ih has dtype float32"):
        F.rnn_layer(x, None, w[0].array.astype(np.float32), *w[1:])
    with pytest.raises(ValueError, match=r"rnn_layer: input has an empty sequence"):
        F.rnn_layer(x[:0], None, *w)
    with pytest.raises(ValueError, match="rnn_layer: nonlinearity must be 'tanh' or 'relu'"):
        F.rnn_layer(x, None, *w, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"gru_cell: input must have shape \(N, D\)"):
        F.gru_cell(x, None, *_weights("gru", 3, 5, rng))
