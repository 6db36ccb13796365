"""``nn.Module`` habits against ``torch.nn.Module``: traversal names, repr strings, state-dict
keys and load errors, hooks, modes, zero_grad, dtype casts. The same model source is built
with both libraries."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.nn as nbnn


def _model(nn):
    """One model, written once, built with torch.nn or nnblocks.nn."""

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(8)
            self.pool = nn.MaxPool2d(2)
            self.register_buffer("scale", nn.Parameter(nbt(nn).ones(3)).data)
            self.register_buffer("cache", nbt(nn).zeros(2), persistent=False)

        def forward(self, x):
            return self.pool(self.bn(self.conv2(self.conv(x))))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder()
            shared = nn.Linear(4, 4)
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(8, 4), nn.ReLU(), shared,
                                      nn.Dropout(0.25), shared, nn.LogSoftmax(dim=1))
            self.emb = nn.Embedding(10, 4, padding_idx=0)
            self.rnn = nn.LSTM(4, 6, num_layers=2, batch_first=True)
            self.blocks = nn.ModuleList([nn.Tanh(), nn.GELU(), nn.LayerNorm(6)])
            self.losses = nn.ModuleDict({"ce": nn.CrossEntropyLoss(), "mse": nn.MSELoss()})

    return Net()


def nbt(nn):
    """The top-level package that goes with ``nn``."""
    import sys

    return sys.modules[nn.__name__.rsplit(".", 1)[0]]


def test_traversal_names_match_torch(torch) -> None:
    ours, theirs = _model(nbnn), _model(torch.nn)
    for method in ("named_modules", "named_children"):
        assert ([n for n, _ in getattr(ours, method)()]
                == [n for n, _ in getattr(theirs, method)()]), method
    assert ([n for n, _ in ours.named_modules(remove_duplicate=False)]
            == [n for n, _ in theirs.named_modules(remove_duplicate=False)])
    for kwargs in ({}, {"prefix": "model"}, {"recurse": False}, {"remove_duplicate": False}):
        assert ([n for n, _ in ours.named_parameters(**kwargs)]
                == [n for n, _ in theirs.named_parameters(**kwargs)]), kwargs
        assert ([n for n, _ in ours.named_buffers(**kwargs)]
                == [n for n, _ in theirs.named_buffers(**kwargs)]), kwargs
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.encoder.parameters(recurse=False))) == 0
    assert len(list(ours.children())) == len(list(theirs.children()))
    assert list(ours.state_dict()) == list(theirs.state_dict())      # "cache" is not persistent
    assert "encoder.cache" not in ours.state_dict()
    assert type(ours.get_submodule("head.3")).__name__ == "Linear"
    assert ours.get_submodule("head.3") is ours.head[5]
    assert ours.get_parameter("emb.weight") is ours.emb.weight
    assert ours.get_buffer("encoder.bn.running_mean") is ours.encoder.bn.running_mean
    for model in (ours, theirs):
        with pytest.raises(AttributeError, match="has no attribute `nope`"):
            model.get_submodule("head.nope")


def test_repr_matches_torch(torch) -> None:
    assert repr(_model(nbnn)) == repr(_model(torch.nn))
    for make in (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Sigmoid()),
                 lambda nn: nn.Linear(3, 1, bias=False),
                 lambda nn: nn.GRU(3, 4, batch_first=True, bidirectional=True),
                 lambda nn: nn.RNN(2, 3, nonlinearity="tanh"),
                 lambda nn: nn.AvgPool1d(2),
                 lambda nn: nn.Module()):
        assert repr(make(nbnn)) == repr(make(torch.nn))


def test_load_state_dict_reports_keys_as_torch(torch) -> None:
    ours, theirs = _model(nbnn), _model(torch.nn)
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    del state["emb.weight"], state["encoder.bn.running_var"]
    state["encoder.extra"] = np.zeros(2)
    given = {k: torch.from_numpy(np.array(v)) for k, v in state.items()}
    with pytest.raises(RuntimeError) as t_err:
        theirs.load_state_dict(given)
    with pytest.raises(RuntimeError) as n_err:
        ours.load_state_dict(state)
    assert str(n_err.value) == str(t_err.value)
    result, t_result = ours.load_state_dict(state, strict=False), theirs.load_state_dict(
        given, strict=False)
    assert result.missing_keys == t_result.missing_keys
    assert repr(result) == repr(t_result)
    assert repr(ours.load_state_dict(ours.state_dict())) == "<All keys matched successfully>"
    assert result.unexpected_keys == t_result.unexpected_keys
    np.testing.assert_array_equal(ours.encoder.conv.weight.array,
                                  theirs.encoder.conv.weight.detach().numpy())
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    state["head.1.weight"] = np.zeros((3, 8), np.float32)
    with pytest.raises(RuntimeError) as t_err:
        theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    with pytest.raises(RuntimeError) as n_err:
        ours.load_state_dict(state)
    assert str(n_err.value) == str(t_err.value).replace("torch.Size([3, 8])", "(3, 8)") \
        .replace("torch.Size([4, 8])", "(4, 8)")


def test_hooks_modes_and_grads(torch) -> None:
    for lib, nn in ((nb, nbnn), (torch, torch.nn)):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        with lib.no_grad():          # hidden units alive for x = 1 and x = 0 alike, so the
            model[0].weight.fill_(1.0)   # output with and without the hooks must differ
            model[0].bias.fill_(0.1)
            model[2].weight.fill_(0.5)
        calls: list = []
        pre = model[0].register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        post = model.register_forward_hook(
            lambda m, args, out, calls=calls: calls.append(args) or out + 1)
        x = lib.ones(4, 2)
        out = model(x)
        expected = model[2](model[1](model[0].bias.reshape(1, 3))).detach().numpy() + 1
        np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(expected, (4, 1)),
                                   rtol=1e-6)
        assert len(calls) == 1 and calls[0][0] is x
        pre.remove()
        post.remove()
        assert np.allclose(model(x).detach().numpy(), out.detach().numpy() - 1) is False
        with model[0].register_forward_hook(lambda m, a, o: o * 0):
            assert float(model[0](x).sum().item()) == 0.0
        assert float(abs(model[0](x)).sum().item()) > 0.0
        assert model.eval() is model and not any(m.training for m in model.modules())
        model.train()
        assert all(m.training for m in model.modules())
        model.train(False)
        assert not model[2].training
        with pytest.raises(ValueError, match="boolean"):
            model.train("yes")
        seen = []
        assert model.apply(lambda m, seen=seen: seen.append(type(m).__name__)) is model
        assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
        model.train()
        model(x).sum().backward()
        model.zero_grad(set_to_none=False)
        grad = model[0].weight.grad
        assert grad is not None and float(abs(grad).sum()) == 0.0
        model.zero_grad()
        assert model[0].weight.grad is None
        assert model.requires_grad_(False) is model
        assert not any(p.requires_grad for p in model.parameters())


def test_dtype_casts(torch) -> None:
    for lib, nn in ((nb, nbnn), (torch, torch.nn)):
        model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        model.register_buffer("ids", lib.arange(3))
        assert model.double() is model
        assert model[0].weight.dtype == lib.float64
        assert model[1].running_mean.dtype == lib.float64
        assert model.ids.dtype == lib.int64                    # integers are not cast
        model.float()
        assert model[0].weight.dtype == lib.float32
        model.to(lib.float64)
        assert model[1].running_var.dtype == lib.float64
        y = model(lib.ones(4, 2, dtype=lib.float64))
        assert y.dtype == lib.float64
        with pytest.raises(KeyError, match='contain "."'):
            model.register_buffer("a.b", lib.zeros(1))
        with pytest.raises(KeyError, match="already exists"):
            model.add_module("ids", nn.ReLU())
