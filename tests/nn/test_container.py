"""Sequential, ModuleList, ModuleDict: PyTorch's names, indexing, mutation, state dicts."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


def _net(rng=None) -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng))


def test_sequential_state_dict_keys_and_torch_parity(rng) -> None:
    torch = import_torch()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2),
                                 torch.nn.LayerNorm(2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.LayerNorm(2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    assert_module_parity(ours, theirs, rng.standard_normal((5, 3)))
    assert repr(ours) == repr(theirs)


def test_sequential_indexing_len_iteration(rng) -> None:
    net = _net(rng)
    assert len(net) == 3
    assert isinstance(net[0], nn.Linear) and isinstance(net[-2], nn.ReLU)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear"]
    tail = net[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]
    assert tail[0] is net[1]
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3 modules"):
        net[3]
    with pytest.raises(TypeError, match="indices must be integers or slices"):
        net["0"]


def test_sequential_forward_is_the_composition(rng) -> None:
    net = _net(rng).double()
    x = nb.tensor(rng.standard_normal((2, 3)))
    expected = net[2](net[1](net[0](x)))
    np.testing.assert_array_equal(net(x).array, expected.array)


def test_sequential_mutation_keeps_positional_names() -> None:
    net = nn.Sequential(nn.ReLU())
    net.append(nn.Tanh()).append(nn.Sigmoid())
    assert list(net._modules) == ["0", "1", "2"]
    del net[0]
    assert list(net._modules) == ["0", "1"] and isinstance(net[0], nn.Tanh)
    net.insert(0, nn.ELU())
    assert [type(m).__name__ for m in net] == ["ELU", "Tanh", "Sigmoid"]
    net[1] = nn.GELU()
    assert isinstance(net[1], nn.GELU)
    net.extend([nn.ReLU()])
    assert len(net) == 4
    with pytest.raises(TypeError, match="Sequential: int is not a Module"):
        net.append(3)


def test_sequential_from_ordered_dict_uses_the_names(rng) -> None:
    net = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3, rng=rng)), ("act", nn.ReLU())]))
    assert list(net.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert net.hidden is net[0]


def test_modulelist(rng) -> None:
    layers = nn.ModuleList([nn.Linear(2, 2, rng=rng) for _ in range(2)])
    layers.append(nn.Linear(2, 1, rng=rng))
    layers += [nn.ReLU()]
    assert len(layers) == 4
    assert list(layers.state_dict())[:4] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert isinstance(layers[-1], nn.ReLU) and isinstance(layers[:2], nn.ModuleList)
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2"]
    layers.insert(0, nn.Tanh())
    assert isinstance(layers[0], nn.Tanh)
    assert sum(1 for _ in layers) == 4

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    assert list(Model().state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                          "blocks.1.bias"]
    with pytest.raises(IndexError, match="ModuleList: index 9"):
        layers[9]


def test_moduledict_matches_torch_keys(rng) -> None:
    torch = import_torch()
    ours = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.BatchNorm1d(3)})
    theirs = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 3), "b": torch.nn.BatchNorm1d(3)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.keys()) == ["a", "b"] and "a" in ours and len(ours) == 2
    assert [k for k, _ in ours.items()] == ["a", "b"] and list(ours) == ["a", "b"]
    ours["c"] = nn.ReLU()
    assert isinstance(ours.pop("c"), nn.ReLU) and "c" not in ours
    with pytest.raises(KeyError, match="ModuleDict has no module 'z'"):
        ours["z"]
    with pytest.raises(TypeError, match="ModuleDict keys must be strings"):
        ours[1] = nn.ReLU()


def test_train_eval_reach_nested_children() -> None:
    net = nn.Sequential(nn.ModuleList([nn.Dropout(0.5)]), nn.BatchNorm1d(2))
    net.eval()
    assert not net[0][0].training and not net[1].training
    net.train()
    assert all(m.training for m in net.modules())
