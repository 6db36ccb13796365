"""Activation modules: PyTorch parity with random hyper-parameters, reprs, gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


def _pairs(torch):
    """(ours, theirs) for a draw of hyper-parameters."""
    return {
        "Sigmoid": lambda h: (nn.Sigmoid(), torch.nn.Sigmoid()),
        "Tanh": lambda h: (nn.Tanh(), torch.nn.Tanh()),
        "ReLU": lambda h: (nn.ReLU(), torch.nn.ReLU()),
        "LeakyReLU": lambda h: (nn.LeakyReLU(h["slope"]), torch.nn.LeakyReLU(h["slope"])),
        "ELU": lambda h: (nn.ELU(h["alpha"]), torch.nn.ELU(h["alpha"])),
        "Softplus": lambda h: (nn.Softplus(h["beta"], h["threshold"]),
                               torch.nn.Softplus(h["beta"], h["threshold"])),
        "GELU": lambda h: (nn.GELU(h["approximate"]), torch.nn.GELU(h["approximate"])),
        "Softmax": lambda h: (nn.Softmax(h["dim"]), torch.nn.Softmax(h["dim"])),
        "LogSoftmax": lambda h: (nn.LogSoftmax(h["dim"]), torch.nn.LogSoftmax(h["dim"])),
    }


NAMES = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Softplus", "GELU", "Softmax",
         "LogSoftmax"]


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=6, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    scale=st.sampled_from([0.5, 3.0, 30.0]),
    slope=st.floats(0.0, 0.5),
    alpha=st.floats(0.1, 2.0),
    beta=st.floats(0.5, 3.0),
    threshold=st.floats(1.0, 20.0),
    approximate=st.sampled_from(["none", "tanh"]),
    dim_pick=st.integers(0, 10),
    seed=st.integers(0, 2**31),
)
def test_activation_matches_torch(name, shape, scale, slope, alpha, beta, threshold, approximate,
                                  dim_pick, seed) -> None:
    torch = import_torch()
    hyper = dict(slope=slope, alpha=alpha, beta=beta, threshold=threshold,
                 approximate=approximate, dim=dim_pick % len(shape) - len(shape) * (seed % 2))
    ours, theirs = _pairs(torch)[name](hyper)
    x = scale * np.random.default_rng(seed).standard_normal(shape)
    assert_module_parity(ours, theirs, x, seed=seed, atol=1e-12, rtol=1e-9)


def test_reprs_match_torch() -> None:
    torch = import_torch()
    pairs = [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Softplus(), torch.nn.Softplus()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("module", [nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(0.1),
                                    nn.ELU(0.5), nn.Softplus(2.0), nn.GELU(), nn.GELU("tanh"),
                                    nn.Softmax(dim=1), nn.LogSoftmax(dim=0)],
                         ids=lambda m: repr(m))
def test_check_module(module, rng) -> None:
    x = rng.standard_normal((3, 4))
    x = np.sign(x) * (0.05 + np.abs(x))                  # away from the kinks at 0
    assert nb.testing.check_module(module, nb.tensor(x))


def test_activations_have_no_parameters() -> None:
    for module in (nn.ReLU(), nn.GELU(), nn.Softmax(0)):
        assert list(module.state_dict()) == []


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
