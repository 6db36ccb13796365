"""Whole models written twice, in PyTorch and in nnblocks with the same code shape: the PyTorch
state dict, converted to NumPy arrays exactly as the issue writes it, loads into the nnblocks
model (strict: the same keys, shapes and layouts) and gives the same outputs in float32, and the
same gradients for the input and every parameter in float64.

Between them the two models use every layer type with parameters or buffers: Linear, Conv1d,
Conv2d, BatchNorm1d/2d (with trained running statistics), GroupNorm, LayerNorm, RNN, LSTM, GRU,
inside Sequential containers and custom modules.
"""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


def _cnn(lib):
    """Conv2d, BatchNorm2d, pooling, grouped 'same' conv, GroupNorm, Linear, LayerNorm."""
    return lib.Sequential(
        lib.Conv2d(2, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(4, 6, 3, padding="same", groups=2, bias=False), lib.GroupNorm(3, 6),
        lib.Tanh(), lib.AdaptiveAvgPool2d(1), lib.Flatten(),
        lib.Linear(6, 8), lib.LayerNorm(8), lib.GELU(), lib.Linear(8, 3),
    )


def _sequence_model(lib, base):
    """Conv1d + BatchNorm1d over time, then LSTM, GRU and RNN, and a Linear read-out."""

    class SequenceModel(base):
        def __init__(self) -> None:
            super().__init__()
            self.conv = lib.Conv1d(3, 5, 3, padding=1)
            self.norm = lib.BatchNorm1d(5)
            self.lstm = lib.LSTM(5, 4, batch_first=True, bidirectional=True)
            self.gru = lib.GRU(8, 4, num_layers=2, batch_first=True)
            self.rnn = lib.RNN(4, 3, nonlinearity="relu", batch_first=True)
            self.head = lib.Linear(3, 2)

        def forward(self, x):                                  # x: (N, C, T)
            h = self.norm(self.conv(x)).transpose(1, 2)        # (N, T, 5)
            h, _ = self.lstm(h)
            h, _ = self.gru(h)
            h, h_n = self.rnn(h)
            return self.head(h[:, -1] + h_n[0])

    return SequenceModel()


def _train_batch_norms(theirs, shape, torch) -> None:
    """A few training-mode passes so the running statistics are not the initial ones."""
    generator = torch.Generator().manual_seed(0)
    theirs.train()
    with torch.no_grad():
        for _ in range(3):
            theirs(2 * torch.randn(shape, generator=generator) + 0.5)
    theirs.eval()


def _check(ours, theirs, shape, rng) -> None:
    torch = import_torch()
    _train_batch_norms(theirs, shape, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    y = ours(nb.tensor(x))
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-5)
    # float64: the same gradients for the input and every parameter
    assert_module_parity(ours, theirs, rng.standard_normal(shape), atol=1e-9, rtol=1e-7)


def test_cnn_loads_a_torch_state_dict_and_agrees(rng) -> None:
    torch = import_torch()
    torch.manual_seed(1)
    _check(_cnn(nn), _cnn(torch.nn), (2, 2, 6, 7), rng)


def test_sequence_model_loads_a_torch_state_dict_and_agrees(rng) -> None:
    torch = import_torch()
    torch.manual_seed(2)
    _check(_sequence_model(nn, nn.Module), _sequence_model(torch.nn, torch.nn.Module),
           (3, 3, 6), rng)
