"""Recurrent modules: PyTorch parity after load_state_dict, gradient checks, truncated BPTT,
dropout, dtypes, bad input, and an RNN that learns parity."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from nnblocks.testing import check_module, gradcheck
from tests.conftest import import_torch

KINDS = ("tanh", "relu", "lstm", "gru")


def _make(kind: str, D: int, H: int, torch=None, **kwargs):
    """An nnblocks module (float64) and, given torch, the same PyTorch module with its weights
    copied into ours through load_state_dict."""
    if kind in ("tanh", "relu"):
        ours = nn.RNN(D, H, nonlinearity=kind, dtype=np.float64, **kwargs)
        theirs = torch and torch.nn.RNN(D, H, nonlinearity=kind, **kwargs)
    elif kind == "lstm":
        ours = nn.LSTM(D, H, dtype=np.float64, **kwargs)
        theirs = torch and torch.nn.LSTM(D, H, **kwargs)
    else:
        ours = nn.GRU(D, H, dtype=np.float64, **kwargs)
        theirs = torch and torch.nn.GRU(D, H, **kwargs)
    if torch is not None:
        theirs = theirs.double()
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flat(out) -> list:
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    output, state = out
    return [output, *state] if isinstance(state, tuple) else [output, state]


# ---------------------------------------------------------------------------- PyTorch parity
@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    num_layers=st.integers(1, 3),
    batch_first=st.booleans(),
    bias=st.booleans(),
    bidirectional=st.booleans(),
    T=st.integers(1, 5),
    N=st.integers(1, 3),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    give_state=st.booleans(),
    unbatched=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_module_matches_torch(kind, num_layers, batch_first, bias, bidirectional, T, N, D, H,
                              give_state, unbatched, seed) -> None:
    torch = import_torch()
    rng = np.random.default_rng(seed)
    ours, theirs = _make(kind, D, H, torch, num_layers=num_layers, bias=bias,
                         batch_first=batch_first, bidirectional=bidirectional)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rows = num_layers * (2 if bidirectional else 1)
    if unbatched:
        x_shape, s_shape = (T, D), (rows, H)
    else:
        x_shape = (N, T, D) if batch_first else (T, N, D)
        s_shape = (rows, N, H)
    arrays = [rng.standard_normal(x_shape)]
    if give_state:
        arrays += [0.5 * rng.standard_normal(s_shape) for _ in range(2 if kind == "lstm" else 1)]
    xs = [nb.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    if kind == "lstm" and give_state:
        outs, t_outs = _flat(ours(xs[0], (xs[1], xs[2]))), _flat(theirs(ts[0], (ts[1], ts[2])))
    else:
        outs, t_outs = _flat(ours(*xs)), _flat(theirs(*ts))
    loss, t_loss = 0.0, 0.0
    for o, t in zip(outs, t_outs, strict=True):
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=1e-7, atol=1e-10)
        u = rng.standard_normal(o.shape)
        loss = loss + (o * nb.tensor(u)).sum()
        t_loss = t_loss + (t * torch.from_numpy(u)).sum()
    loss.backward()
    t_loss.backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-7, atol=1e-10)
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_torch(kind: str, rng: np.random.Generator, torch) -> None:
    D, H, N = 3, 4, 2
    if kind == "lstm":
        ours, theirs = nn.LSTMCell(D, H, dtype=np.float64), torch.nn.LSTMCell(D, H).double()
    elif kind == "gru":
        ours, theirs = nn.GRUCell(D, H, dtype=np.float64), torch.nn.GRUCell(D, H).double()
    else:
        ours = nn.RNNCell(D, H, nonlinearity=kind, dtype=np.float64)
        theirs = torch.nn.RNNCell(D, H, nonlinearity=kind).double()
    ours.load_state_dict(theirs.state_dict())
    for shape in ((N, D), (D,)):                                  # batched and unbatched
        x = rng.standard_normal(shape)
        h = rng.standard_normal(shape[:-1] + (H,))
        state = (h, 0.5 * h) if kind == "lstm" else h
        t_state = tuple(map(torch.from_numpy, state)) if kind == "lstm" else torch.from_numpy(h)
        for s, t_s in ((None, None), (state, t_state)):
            got = ours(x, s)
            want = theirs(torch.from_numpy(x), t_s)
            got = got if isinstance(got, tuple) else (got,)
            want = want if isinstance(want, tuple) else (want,)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_allclose(g.array, w.detach().numpy(), atol=1e-12)


def test_repr_and_parameter_names_match_torch(torch) -> None:
    cases = [
        (nn.RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5,
                bidirectional=True), torch.nn.RNN(3, 4, 2, bias=False, batch_first=True,
                                                  dropout=0.5, bidirectional=True)),
        (nn.LSTM(3, 4, bidirectional=True), torch.nn.LSTM(3, 4, bidirectional=True)),
        (nn.GRU(3, 4, num_layers=3), torch.nn.GRU(3, 4, num_layers=3)),
        (nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
         torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu")),
        (nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)),
        (nn.GRUCell(3, 4), torch.nn.GRUCell(3, 4)),
    ]
    for ours, theirs in cases:
        assert repr(ours) == repr(theirs)
        shapes = [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == shapes
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity=relu)"


def test_default_init_is_uniform_one_over_sqrt_hidden(rng: np.random.Generator) -> None:
    H = 64
    lstm = nn.LSTM(8, H, num_layers=2, rng=rng)
    values = np.concatenate([p.array.ravel() for p in lstm.parameters()])
    bound = 1 / np.sqrt(H)
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.01 * bound        # std of U(-a, a)
    again = nn.LSTM(8, H, num_layers=2, rng=np.random.default_rng(7))
    same = nn.LSTM(8, H, num_layers=2, rng=np.random.default_rng(7))
    for p, q in zip(again.parameters(), same.parameters()):
        np.testing.assert_array_equal(p.array, q.array)
    assert len(lstm.all_weights) == 2 and len(lstm.all_weights[0]) == 4


# ---------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_check_module(nonlinearity: str, rng: np.random.Generator) -> None:
    rnn = nn.RNN(2, 3, num_layers=2, nonlinearity=nonlinearity, bidirectional=True, rng=rng)
    x = nb.tensor(rng.standard_normal((3, 2, 2)))
    h0 = nb.tensor(0.5 * rng.standard_normal((4, 2, 3)))
    assert check_module(rnn, x, h0, rng=rng)


def test_gru_check_module_batch_first(rng: np.random.Generator) -> None:
    gru = nn.GRU(2, 3, num_layers=2, batch_first=True, rng=rng)
    x = nb.tensor(rng.standard_normal((2, 3, 2)))
    h0 = nb.tensor(0.5 * rng.standard_normal((2, 2, 3)))
    assert check_module(gru, x, h0, rng=rng)


def test_lstm_gradcheck_wrt_input_states_and_parameters(rng: np.random.Generator) -> None:
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=rng).double()
    x = nb.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = nb.tensor(0.5 * rng.standard_normal((4, 2, 3)), requires_grad=True)
    c0 = nb.tensor(0.5 * rng.standard_normal((4, 2, 3)), requires_grad=True)
    params = list(lstm.parameters())

    def fn(x, h0, c0, *_params):
        return _flat(lstm(x, (h0, c0)))

    assert gradcheck(fn, [x, h0, c0, *params], rng=rng)


@pytest.mark.parametrize("cell_type", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_check_module(cell_type, rng: np.random.Generator) -> None:
    cell = cell_type(3, 2, rng=rng)
    x = nb.tensor(rng.standard_normal((2, 3)))
    assert check_module(cell, x, rng=rng)


# ---------------------------------------------------------------------------- truncated BPTT
def test_detached_state_stops_gradients(rng: np.random.Generator) -> None:
    """Truncated BPTT: the second chunk's gradients do not reach the first chunk when the
    carried state is detached, and equal those of a run started from that state as a constant."""
    rnn = nn.RNN(2, 4, rng=rng).double()
    x1 = nb.tensor(rng.standard_normal((5, 3, 2)), requires_grad=True)
    x2 = nb.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    _, h = rnn(x1)
    out, _ = rnn(x2, h.detach())
    out.sum().backward()
    assert x1.grad is None
    grads = {name: p.grad.array.copy() for name, p in rnn.named_parameters()}
    rnn.zero_grad()
    out, _ = rnn(x2, h.array.copy())
    out.sum().backward()
    for name, p in rnn.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name], err_msg=name)
    rnn.zero_grad()
    _, h = rnn(x1)                                                 # not detached: flows back
    out, _ = rnn(x2, h)
    out.sum().backward()
    assert x1.grad is not None and np.abs(x1.grad).sum() > 0


def test_detached_lstm_state_stops_gradients(rng: np.random.Generator) -> None:
    lstm = nn.LSTM(2, 3, rng=rng).double()
    x1 = nb.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    _, (h, c) = lstm(x1)
    out, _ = lstm(nb.tensor(rng.standard_normal((3, 2, 2))), (h.detach(), c.detach()))
    out.sum().backward()
    assert x1.grad is None and lstm.weight_hh_l0.grad is not None


# ---------------------------------------------------------------------------- dropout
def test_dropout_between_layers(rng: np.random.Generator, torch) -> None:
    ours, theirs = _make("gru", 3, 4, torch, num_layers=3, dropout=0.5, bidirectional=True)
    x = rng.standard_normal((6, 2, 3))
    a, _ = ours(x, rng=np.random.default_rng(1))
    b, _ = ours(x, rng=np.random.default_rng(1))
    c, _ = ours(x, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(a.array, b.array)                 # same generator, same masks
    assert not np.allclose(a.array, c.array)
    ours.eval()
    theirs.eval()
    y, h = ours(x)
    t_y, t_h = theirs(torch.from_numpy(x))
    np.testing.assert_allclose(y.array, t_y.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(h.array, t_h.detach().numpy(), atol=1e-12)


def test_dropout_masks_the_inner_layer_output(rng: np.random.Generator) -> None:
    """Layer 2 sees layer 1's output times a 0 or 1/(1-p) mask drawn from the given rng."""
    p = 0.25
    rnn = nn.RNN(3, 4, num_layers=2, dropout=p, rng=rng).double()
    x = nb.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    y, _ = rnn(x, rng=np.random.default_rng(3))
    y1, _ = nb.functional.rnn_layer(x, None, *rnn.all_weights[0])
    mask = (np.random.default_rng(3).random(y1.shape) >= p) / (1 - p)
    want, _ = nb.functional.rnn_layer(y1 * nb.tensor(mask), None, *rnn.all_weights[1])
    np.testing.assert_allclose(y.array, want.array, atol=1e-12)
    params = list(rnn.parameters())
    assert gradcheck(lambda x, *_: rnn(x, rng=np.random.default_rng(3))[0], [x, *params],
                     rng=rng)


def test_dropout_with_one_layer_warns() -> None:
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)


# ---------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("kind", KINDS)
def test_float32_end_to_end(kind: str, rng: np.random.Generator) -> None:
    module, _ = _make(kind, 3, 4, num_layers=2, bidirectional=True)
    module.float()
    x = nb.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32), requires_grad=True)
    outs = _flat(module(x))
    total = sum((o * o).sum() for o in outs)
    total.backward()
    assert all(o.dtype == np.float32 for o in outs)
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in module.parameters())


# ---------------------------------------------------------------------------- bad input
def test_bad_input_names_layer_and_shapes() -> None:
    rnn = nn.RNN(4, 5, num_layers=2)
    x = np.zeros((7, 3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"RNN: input has 6 features .* expected input_size=4"):
        rnn(np.zeros((7, 3, 6), dtype=np.float32))
    with pytest.raises(ValueError, match=r"RNN: expected input of shape \(T, N, D\)"):
        rnn(np.zeros((1, 7, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape("h_0 has shape (2, 4, 5), expected (2, 3, 5)")):
        rnn(x, np.zeros((2, 4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape("h_0 has shape (1, 3, 5), expected (2, 3, 5)")):
        rnn(x, np.zeros((1, 3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="for unbatched 2-D input h_0 must be 2-D"):
        rnn(x[:, 0], np.zeros((2, 3, 5), dtype=np.float32))
    with pytest.raises(TypeError, match="RNN: input has dtype float64 but the parameters"):
        rnn(np.zeros((7, 3, 4)))
    with pytest.raises(ValueError, match="empty dimension"):
        rnn(np.zeros((0, 3, 4), dtype=np.float32))


def test_batch_first_mismatch_is_detected_through_h0() -> None:
    """A (N, T, D) batch fed to a batch_first=False model reads T as the batch size; the
    initial state, sized for the true batch, exposes it, and the error says so."""
    gru = nn.GRU(4, 5)
    x = np.zeros((3, 7, 4), dtype=np.float32)                    # really (N=3, T=7, D=4)
    h0 = np.zeros((1, 3, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"GRU: h_0 has shape \(1, 3, 5\), expected \(1, 7, 5\)"
                       r".*batch_first=False"):
        gru(x, h0)
    output, _ = nn.GRU(4, 5, batch_first=True)(x, h0)             # the right layout works
    assert output.shape == (3, 7, 5)


def test_lstm_state_errors() -> None:
    lstm = nn.LSTM(2, 3)
    x = np.zeros((4, 2, 2), dtype=np.float32)
    h = np.zeros((1, 2, 3), dtype=np.float32)
    with pytest.raises(TypeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        lstm(x, h)
    with pytest.raises(ValueError, match=re.escape("LSTM: c_0 has shape (1, 2, 4)")):
        lstm(x, (h, np.zeros((1, 2, 4), dtype=np.float32)))


def test_cell_errors() -> None:
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match=r"GRUCell: expected input of shape \(N, D\)"):
        cell(np.zeros((2, 2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"GRUCell: input has 2 features"):
        cell(np.zeros((2, 2), dtype=np.float32))
    message = "GRUCell: hx has shape (3, 4), expected (2, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        cell(np.zeros((2, 3), dtype=np.float32), np.zeros((3, 4), dtype=np.float32))


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="GRU: hidden_size must be a positive integer"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="LSTM: dropout must be a probability"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)


# ---------------------------------------------------------------------------- integration
class _TinyLinear(nn.Module):
    """Fallback head while nn.Linear is not available."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        super().__init__()
        bound = 1 / np.sqrt(n_in)
        self.weight = nn.Parameter(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        self.bias = nn.Parameter(np.zeros(n_out, dtype=np.float32))

    def forward(self, x):
        return x @ self.weight.T + self.bias


def _head(n_in: int, rng: np.random.Generator) -> nn.Module:
    linear = getattr(nn, "Linear", None)
    return linear(n_in, 1, rng=rng) if linear is not None else _TinyLinear(n_in, 1, rng)


def test_rnn_learns_parity(rng: np.random.Generator) -> None:
    """An Elman RNN (tanh, 32 units) learns the parity of all 32 five-bit strings, trained by
    full-batch Adam written out by hand; typically a few hundred steps, well under a second."""
    bits = np.array(list(itertools.product([0.0, 1.0], repeat=5)), dtype=np.float32)  # (32, 5)
    x = nb.tensor(2 * bits.T[:, :, None] - 1)                      # (T=5, N=32, D=1)
    target = nb.tensor(2 * (bits.sum(1, keepdims=True) % 2) - 1)   # (32, 1), ±1
    rnn = nn.RNN(1, 32, rng=rng)
    head = _head(32, rng)
    params = list(rnn.parameters()) + list(head.parameters())
    m = [np.zeros_like(p.array) for p in params]
    v = [np.zeros_like(p.array) for p in params]
    lr, beta1, beta2 = 0.01, 0.9, 0.999
    accuracy = 0.0
    for step in range(1, 2001):
        _, h_n = rnn(x)
        z = head(h_n[0])                                           # (32, 1)
        loss = ((z - target) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        for i, p in enumerate(params):                             # Adam (Kingma & Ba 2015)
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1**step)
            v_hat = v[i] / (1 - beta2**step)
            p.array -= (lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(p.dtype)
        accuracy = float((np.sign(z.array) == target.array).mean())
        if accuracy == 1.0 and loss.item() < 0.1:
            break
    assert accuracy == 1.0, f"parity not learned after {step} steps (loss {loss.item():.3f})"
