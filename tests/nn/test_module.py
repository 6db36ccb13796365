"""Module: registration, traversal, modes, dtype casts, state dicts and their errors, repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch


class Block2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class TorchBlock2:
    """The same model in PyTorch, built lazily so the module imports without torch."""

    @staticmethod
    def make():
        torch = import_torch()

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.fc = torch.nn.Linear(3, 4)
                self.norm = torch.nn.BatchNorm1d(4)
                self.scale = torch.nn.Parameter(torch.ones(1))

            def forward(self, x):
                return self.norm(self.fc(x)) * self.scale

        return Model()


def test_registration_and_traversal() -> None:
    model = Block2()
    assert [n for n, _ in model.named_parameters()] == ["scale", "fc.weight", "fc.bias",
                                                       "norm.weight", "norm.bias"]
    assert [n for n, _ in model.named_buffers()] == ["norm.running_mean", "norm.running_var",
                                                    "norm.num_batches_tracked"]
    assert [n for n, _ in model.named_modules()] == ["", "fc", "norm"]
    assert [n for n, _ in model.named_children()] == ["fc", "norm"]
    assert model.num_parameters() == 1 + 12 + 4 + 8


def test_state_dict_keys_match_torch_and_load_round_trip(rng) -> None:
    theirs = TorchBlock2.make()
    model = Block2()
    assert sorted(model.state_dict()) == sorted(theirs.state_dict())
    missing, unexpected = model.load_state_dict(theirs.state_dict())    # torch tensors directly
    assert missing == [] and unexpected == []
    np.testing.assert_array_equal(model.fc.weight.array, theirs.fc.weight.detach().numpy())
    copy = Block2()
    copy.load_state_dict(model.state_dict())
    x = nb.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_array_equal(copy(x).array, model(x).array)


def test_state_dict_shares_the_arrays_as_torch() -> None:
    """PyTorch's ``state_dict()`` values are detached tensors sharing the module's storage:
    ``own_state[name].copy_(param)`` (a common partial-loading idiom) changes the model, and a
    snapshot needs ``copy.deepcopy`` or ``clone()``."""
    model = nn.Linear(2, 2)
    sd = model.state_dict()
    snapshot = copy.deepcopy(sd)
    assert isinstance(sd["weight"], nb.Tensor) and not sd["weight"].requires_grad
    sd["weight"].copy_(nb.full((2, 2), 123.0))
    np.testing.assert_array_equal(model.weight.array, 123.0)
    assert not np.any(snapshot["weight"].array == 123.0)
    assert model.state_dict(keep_vars=True)["weight"] is model.weight


def test_load_state_dict_missing_and_unexpected_keys() -> None:
    model = Block2()
    sd = model.state_dict()
    del sd["fc.bias"]
    sd["fc.extra"] = np.zeros(2)
    with pytest.raises(KeyError, match=r'Missing key\(s\) in state_dict: "fc.bias". \n\t'
                                       r'Unexpected key\(s\) in state_dict: "fc.extra"'):
        model.load_state_dict(sd)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert missing == ["fc.bias"] and unexpected == ["fc.extra"]


def test_load_state_dict_shape_mismatch_names_keys_and_loads_nothing() -> None:
    model = Block2()
    before = model.state_dict()
    sd = {k: v + 1 for k, v in before.items()}
    sd["fc.weight"] = np.zeros((3, 4))
    sd["norm.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"size mismatch for fc.weight: copying a param with "
                                         r"shape \(3, 4\) from checkpoint, the shape in current "
                                         r"model is \(4, 3\).\n\tsize mismatch for norm.bias"):
        model.load_state_dict(sd)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_keeps_dtypes_and_parameter_identity() -> None:
    model = nn.Linear(2, 3)
    weight = model.weight
    model.load_state_dict({"weight": np.ones((3, 2)), "bias": np.zeros(3)})   # float64 given
    assert model.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.array, 1.0)


def test_train_eval_zero_grad_requires_grad(rng) -> None:
    model = Block2()
    assert model.eval() is model and not model.norm.training
    model.train()
    assert model.norm.training
    model(nb.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == 0


def test_to_double_casts_floating_parameters_and_buffers_only() -> None:
    model = Block2().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.norm.running_mean.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64
    model.float()
    assert model.fc.weight.dtype == np.float32


def test_reassigning_a_child_keeps_its_position() -> None:
    model = Block2()
    model.fc = nn.Linear(3, 4)
    assert [n for n, _ in model.named_children()] == ["fc", "norm"]
    assert list(model.state_dict())[:3] == ["scale", "fc.weight", "fc.bias"]


def test_optional_parameter_and_buffer_none() -> None:
    layer = nn.Linear(2, 2, bias=False)
    assert layer.bias is None and "bias" not in layer.state_dict()
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]


def test_repr_matches_torch_layout() -> None:
    torch = import_torch()
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3),
                                 torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Dropout(0.1)))
    assert repr(ours) == repr(theirs)
    assert repr(Block2()).startswith("Block2(\n  (fc): Linear(in_features=3, out_features=4")


def test_setattr_before_init_is_a_clear_error() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\)\.__init__\(\) before"):
        Broken()


def test_apply_visits_every_module() -> None:
    seen = []
    Block2().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Block2"]


def test_check_module_on_a_composite(rng) -> None:
    model = Block2()
    for p in model.parameters():
        p.array = (1 + 0.3 * rng.standard_normal(p.shape)).astype(np.float32)
    assert nb.testing.check_module(model, nb.tensor(rng.standard_normal((4, 3))))


def test_parameter_dtypes_follow_tensor_rules() -> None:
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32          # Python floats: float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64         # arrays keep their dtype
    assert nn.Parameter(nb.tensor([1.0])).requires_grad
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nn.Parameter([1, 2])
    assert not nn.Parameter([1, 2], requires_grad=False).requires_grad
