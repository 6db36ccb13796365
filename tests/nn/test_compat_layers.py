"""Layers PyTorch programs use that the first release lacked: Embedding (padding_idx, max_norm,
from_pretrained), Dropout1d/2d, L1/SmoothL1/Huber/BCE losses, one_hot — against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.nn.functional as F
from nnblocks import nn


def test_embedding_module_matches_torch(rng, torch) -> None:
    theirs = torch.nn.Embedding(12, 4, padding_idx=2, max_norm=1.5).double()
    ours = nn.Embedding(12, 4, padding_idx=2, max_norm=1.5, dtype=np.float64)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = rng.integers(0, 12, size=(3, 5))
    g = rng.standard_normal((3, 5, 4))
    y = ours(nb.tensor(idx))
    expected = theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(y.array, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.array, theirs.weight.detach().numpy(), rtol=1e-12)
    y.backward(nb.tensor(g))
    expected.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    assert not ours.weight.grad.array[2].any()                      # the padding row


def test_embedding_init_from_pretrained_and_errors(rng) -> None:
    nb.manual_seed(0)
    table = nn.Embedding(1000, 8, padding_idx=0)
    assert not table.weight.array[0].any()
    assert abs(table.weight.array[1:].std() - 1.0) < 0.05       # N(0, 1) as PyTorch
    pretrained = nn.Embedding.from_pretrained(nb.tensor(np.eye(3)))
    assert not pretrained.weight.requires_grad and pretrained.weight.dtype == np.float64
    with pytest.raises(IndexError, match="index 5 is out of range for a table of 3 rows"):
        pretrained(nb.tensor([0, 5]))
    with pytest.raises(TypeError, match=r"indices must be integers .* convert them with .long"):
        pretrained(nb.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


@pytest.mark.parametrize("module, shape", [(nn.Dropout1d, (8, 16, 5)), (nn.Dropout1d, (16, 5)),
                                           (nn.Dropout2d, (8, 16, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(module, shape, torch) -> None:
    layer = module(0.25, rng=np.random.default_rng(0))
    x = nb.ones(*shape)
    y = layer(x).array
    channels = 1 if len(shape) == 2 else 2                     # unbatched (C, L) or (N, C, ...)
    rows = y.reshape(int(np.prod(shape[:channels])), -1)       # one row per (sample, channel)
    assert all(len(np.unique(row)) == 1 for row in rows)       # whole channels kept or zeroed
    assert np.all(np.isclose(rows[:, 0], 0.0) | np.isclose(rows[:, 0], 1.0 / 0.75))
    kept = (rows[:, 0] > 0).mean()
    assert 0.55 < kept < 0.95
    theirs = getattr(torch.nn, module.__name__)(0.25)
    assert repr(layer) == repr(theirs)
    layer.eval()
    assert layer(x) is x


LOSSES = [
    ("L1Loss", {}, "l1_loss"), ("SmoothL1Loss", {"beta": 0.7}, "smooth_l1_loss"),
    ("HuberLoss", {"delta": 2.0}, "huber_loss"), ("BCELoss", {}, "binary_cross_entropy"),
]


@pytest.mark.parametrize("name, kwargs, functional", LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(name, kwargs, functional, reduction, rng, torch) -> None:
    if name == "BCELoss":
        x0, t0 = rng.uniform(0.01, 0.99, (4, 3)), rng.random((4, 3))
    else:
        x0, t0 = 3 * rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours = getattr(nn, name)(reduction=reduction, **kwargs)
    theirs = getattr(torch.nn, name)(reduction=reduction, **kwargs)
    x, xt = nb.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    loss, expected = ours(x, nb.tensor(t0)), theirs(xt, torch.tensor(t0))
    np.testing.assert_allclose(loss.array, expected.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    via_f = getattr(F, functional)(nb.tensor(x0), nb.tensor(t0), reduction=reduction, **kwargs)
    np.testing.assert_allclose(via_f.array, loss.array)


def test_bce_at_zero_and_one_is_finite_as_torch(torch) -> None:
    p0, t0 = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    ours = F.binary_cross_entropy(nb.tensor(p0), nb.tensor(t0), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p0), torch.tensor(t0),
                                                      reduction="none")
    np.testing.assert_array_equal(ours.array, theirs.numpy())   # 0, 0, 100, 100
    with pytest.raises(ValueError, match="should be between 0 and 1 .*_with_logits"):
        F.binary_cross_entropy(nb.tensor([1.5]), nb.tensor([1.0]))


def test_one_hot_matches_torch(rng, torch) -> None:
    labels = rng.integers(0, 5, size=(3, 4))
    for classes in (-1, 7):
        ours = F.one_hot(nb.tensor(labels), classes)
        theirs = torch.nn.functional.one_hot(torch.from_numpy(labels), classes)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    with pytest.raises(RuntimeError, match="smaller than num_classes \\(3\\), got 4"):
        F.one_hot(nb.tensor([4]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(nb.tensor([-1]))


def test_module_to_takes_devices_dtypes_and_tensors_as_pytorch() -> None:
    layer = nn.Linear(2, 3)
    assert layer.to("cpu") is layer and layer.cpu() is layer
    assert layer.to(nb.device("cpu")).weight.dtype == np.float32
    assert layer.to(nb.device("cpu"), nb.float64).weight.dtype == np.float64
    assert layer.to(nb.zeros(1, dtype=nb.float32)).bias.dtype == np.float32
    assert layer.to(dtype=nb.double, non_blocking=True).weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="Linear.to: nnblocks runs on the CPU; got 'cuda'"):
        layer.to("cuda")
    with pytest.raises(RuntimeError, match="nnblocks runs on the CPU; got 'cuda'"):
        layer.cuda()
    with pytest.raises(TypeError, match="unexpected arguments \\['memory'\\]"):
        layer.to(memory=1)
