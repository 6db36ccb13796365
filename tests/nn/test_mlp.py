"""MLP: torch-compatible state dicts, options, and the integration test: XOR solved."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def test_mlp_solves_xor_with_plain_sgd() -> None:
    model = nn.MLP(2, [8], 2, activation="tanh", rng=np.random.default_rng(0))
    loss_fn = nn.CrossEntropyLoss()
    x = nb.tensor(XOR_X)
    for _ in range(300):
        model.zero_grad()
        loss = loss_fn(model(x), XOR_Y)
        loss.backward()
        with nb.no_grad():
            for p in model.parameters():
                p.array -= 0.5 * p.grad
    accuracy = np.mean(model(x).array.argmax(axis=1) == XOR_Y)
    assert accuracy == 1.0
    assert loss.item() < 0.1
    assert model[0].weight.dtype == np.float32


def test_mlp_state_dict_loads_from_torch_sequential(rng) -> None:
    torch = import_torch()
    ours = nn.MLP(3, [5, 4], 2, activation="gelu")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.GELU(), torch.nn.Linear(5, 4),
                                 torch.nn.GELU(), torch.nn.Linear(4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_module_parity(ours, theirs, rng.standard_normal((6, 3)))


def test_mlp_options(rng) -> None:
    assert len(nn.MLP(4, [], 3)) == 1                           # a linear model
    model = nn.MLP(4, [6, 6], 1, activation=lambda: nn.LeakyReLU(0.2), bias=False, dropout=0.1,
                   rng=rng)
    assert [type(m).__name__ for m in model] == [
        "Linear", "LeakyReLU", "Dropout", "Linear", "LeakyReLU", "Dropout", "Linear"]
    assert all(m.bias is None for m in model if isinstance(m, nn.Linear))
    assert model(nb.tensor(np.zeros((2, 4), np.float32))).shape == (2, 1)
    assert nb.testing.check_module(nn.MLP(3, [4], 2, activation="softplus", rng=rng),
                                   nb.tensor(rng.standard_normal((2, 3))))
    with pytest.raises(ValueError, match="MLP: unknown activation 'swish'"):
        nn.MLP(2, [2], 1, activation="swish")
