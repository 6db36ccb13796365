"""nn.Conv1d / nn.Conv2d: PyTorch parity on random geometry, gradient checks, initialization,
errors naming the layer, float32, and a small CNN that overfits 64 digit images."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
import nnblocks.functional as F
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity, load_from_torch


@st.composite
def conv_geometry(draw, dims: int) -> dict:
    """Random channels/groups, kernel, stride, dilation, padding (incl. 'same'), input size."""
    groups = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    mode = draw(st.sampled_from(["same", "valid", "int", "tuple"]))
    if mode == "same":
        stride = (1,) * dims
        padding = "same"
        pads = [d * (k - 1) for k, d in zip(kernel, dilation)]
    else:
        stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        if mode == "valid":
            padding, pads = "valid", [0] * dims
        elif mode == "int":
            padding = draw(st.integers(0, 2))
            pads = [2 * padding] * dims
        else:
            padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
            pads = [2 * p for p in padding]
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(max(1, r - p + draw(st.integers(0, 5))) for r, p in zip(reach, pads))
    return {
        "batch": draw(st.integers(1, 3)),
        "in_channels": groups * draw(st.integers(1, 3)),
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation,
        "groups": groups, "bias": draw(st.booleans()), "size": size,
        "seed": draw(st.integers(0, 2**31)),
    }


def _parity(cls_name: str, g: dict) -> None:
    torch = import_torch()
    kwargs = {k: g[k] for k in ("kernel_size", "stride", "padding", "dilation", "groups", "bias")}
    torch.manual_seed(g["seed"])
    theirs = getattr(torch.nn, cls_name)(g["in_channels"], g["out_channels"], **kwargs)
    ours = getattr(nn, cls_name)(g["in_channels"], g["out_channels"], **kwargs)
    x = np.random.default_rng(g["seed"]).standard_normal((g["batch"], g["in_channels"],
                                                          *g["size"]))
    with warnings.catch_warnings():   # torch: 'same' with an even kernel copies the input
        warnings.filterwarnings("ignore", message="Using padding='same'")
        assert_module_parity(ours, theirs, x, seed=g["seed"])


@settings(max_examples=40, deadline=None)
@given(g=conv_geometry(2))
def test_conv2d_matches_torch(g) -> None:
    _parity("Conv2d", g)


@settings(max_examples=30, deadline=None)
@given(g=conv_geometry(1))
def test_conv1d_matches_torch(g) -> None:
    _parity("Conv1d", g)


def test_conv2d_float32_matches_torch(rng) -> None:
    torch = import_torch()
    theirs = torch.nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2))
    ours = nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2))
    load_from_torch(ours, theirs)
    x = rng.standard_normal((4, 3, 9, 10)).astype(np.float32)
    xt = nb.tensor(x, requires_grad=True)
    y = ours(xt)
    y.sum().backward()
    tx = torch.from_numpy(x).requires_grad_()
    theirs(tx).sum().backward()
    assert y.dtype == np.float32
    assert xt.grad.dtype == ours.weight.grad.dtype == ours.bias.grad.dtype == np.float32
    np.testing.assert_allclose(y.array, theirs(tx).detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("module, shape", [
    (lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
     (2, 4, 6, 7)),
    (lambda: nn.Conv2d(2, 3, 2, padding="same", bias=False), (1, 2, 4, 5)),
    (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 8)),
])
def test_conv_module_gradcheck(module, shape, rng) -> None:
    x = nb.tensor(rng.standard_normal(shape), requires_grad=True)
    assert nb.testing.check_module(module(), x, rng=rng)


def test_conv_init_follows_pytorch(rng) -> None:
    conv = nn.Conv2d(16, 64, 5, groups=2, rng=rng)
    bound = 1 / math.sqrt(8 * 5 * 5)                   # fan_in = in_channels/groups * kH * kW
    assert conv.weight.shape == (64, 8, 5, 5) and conv.weight.dtype == np.float32
    assert np.abs(conv.weight.array).max() <= bound
    assert np.abs(conv.weight.array).max() > 0.95 * bound
    assert conv.weight.array.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert np.abs(conv.bias.array).max() <= bound
    again = nn.Conv2d(16, 64, 5, groups=2, rng=np.random.default_rng(1))
    same = nn.Conv2d(16, 64, 5, groups=2, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(again.weight.array, same.weight.array)


def test_conv_repr_and_state_dict_match_torch() -> None:
    torch = import_torch()
    for args, kwargs in [((1, 8, 3), {"padding": 1}),
                         ((4, 8, (3, 2)), {"stride": 2, "dilation": (1, 2), "groups": 2,
                                           "bias": False}),
                         ((2, 4, 3), {"padding": "same"})]:
        ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert {k: v.shape for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert repr(nn.Conv1d(2, 4, 3, padding="same")) == repr(torch.nn.Conv1d(2, 4, 3,
                                                                           padding="same"))


def test_conv_unbatched_input(rng) -> None:
    conv = nn.Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    batched = conv(nb.tensor(x[None])).array[0]
    np.testing.assert_allclose(conv(nb.tensor(x)).array, batched, rtol=1e-6)
    conv1 = nn.Conv1d(2, 3, 3, rng=rng)
    assert conv1(nb.tensor(x[:, 0])).shape == (3, 2)


def test_conv_errors_name_the_layer() -> None:
    x3 = nb.tensor(np.zeros((2, 3, 8, 8), dtype=np.float32))
    conv = nn.Conv2d(1, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 8, kernel_size=\(3, 3\).*: input has 3 "
                                         r"channels, weight expects 1 \(weight \(8, 1, 3, 3\)\)"):
        conv(x3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 2, kernel_size=\(5, 5\).*input of spatial "
                                         r"size \(3, 4\) \(padded \(3, 4\)\) is smaller than the "
                                         r"kernel's reach \(5, 5\)"):
        nn.Conv2d(3, 2, 5)(nb.tensor(np.zeros((1, 3, 3, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d.*expected a 4-D input \(N, C, H, W\) or a 3-D "
                                         r"unbatched one, got shape \(8, 8\)"):
        conv(nb.tensor(np.zeros((8, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv1d.*expected a 3-D input \(N, C, L\) or a 2-D "
                                         r"unbatched one, got shape \(1, 1, 8, 8\)"):
        nn.Conv1d(1, 1, 3)(nb.tensor(np.zeros((1, 1, 8, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d: groups=4 must divide both in_channels=6 and "
                                         r"out_channels=8"):
        nn.Conv2d(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be 'zeros', 'reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding_mode='zeros' only here"):
        nn.Conv2d(1, 1, 3, padding="same", padding_mode="reflect")
    with pytest.raises(TypeError, match=r"weight has dtype float32 but the input has dtype "
                                        r"float64"):
        conv(nb.tensor(np.zeros((1, 1, 5, 5))))


# ---------------------------------------------------------------------- integration
def _digits(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.images[:n] / 16.0).astype(np.float32)[:, None]      # (64, 1, 8, 8) in [0, 1]
    return x, digits.target[:n]


def test_small_cnn_overfits_64_digits() -> None:
    x, labels = _digits()
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),     # (8, 4, 4)
        nn.Conv2d(8, 16, 3, padding="same", rng=rng), nn.ReLU(), nn.MaxPool2d(2),  # (16, 2, 2)
        nn.Flatten(), nn.Linear(64, 10, rng=rng),
    )
    params = list(model.parameters())
    velocity = [np.zeros_like(p.array) for p in params]
    xt = nb.tensor(x)
    for _ in range(300):                      # SGD with momentum 0.9, written out by hand
        loss = F.cross_entropy(model(xt), labels)
        model.zero_grad()
        loss.backward()
        for p, v in zip(params, velocity):
            v *= 0.9
            v += p.grad
            p.array -= 0.1 * v
        with nb.no_grad():
            accuracy = float((model(xt).array.argmax(axis=1) == labels).mean())
        if accuracy == 1.0:
            break
    assert accuracy == 1.0, f"train accuracy {accuracy} after 300 steps, loss {loss.item()}"
    assert loss.dtype == np.float32


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_torch(torch, mode: str, rng: np.random.Generator) -> None:
    for dims, shape, padding in ((2, (2, 3, 6, 5), (1, 2)), (1, (2, 3, 7), 2)):
        ours = (nn.Conv2d if dims == 2 else nn.Conv1d)(3, 4, 3, padding=padding,
                                                        padding_mode=mode, dtype=np.float64)
        theirs = (torch.nn.Conv2d if dims == 2 else torch.nn.Conv1d)(
            3, 4, 3, padding=padding, padding_mode=mode).double()
        theirs.load_state_dict({k: torch.from_numpy(v.numpy())
                                for k, v in ours.state_dict().items()})
        assert repr(ours) == repr(theirs)
        x = rng.standard_normal(shape)
        xt = torch.from_numpy(x).requires_grad_(True)
        xn = nb.tensor(x, requires_grad=True)
        y, yt = ours(xn), theirs(xt)
        np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(y.shape)
        (y * nb.tensor(g)).sum().backward()
        (yt * torch.from_numpy(g)).sum().backward()
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_the_geometry_cache_gives_the_same_checks_and_windows() -> None:
    """conv_setup caches its checks per shapes/dtypes/hyper-parameters: the second call with the
    same ones gives the same window, a bad call raises every time (errors are not cached), and
    list hyper-parameters (unhashable as given) work."""
    from nnblocks.functional.conv import _conv_geometry, conv_setup

    x = np.zeros((2, 3, 7, 7), np.float32)
    w = np.zeros((4, 3, 3, 3), np.float32)
    first = conv_setup(x, w, None, 2, 1, 1, 1, 2, "conv2d")[2]
    hits = _conv_geometry.cache_info().hits
    assert conv_setup(x, w, None, 2, 1, 1, 1, 2, "conv2d")[2] == first
    assert _conv_geometry.cache_info().hits == hits + 1
    assert conv_setup(x, w, None, [2, 2], [1, 1], 1, 1, 2, "conv2d")[2] == first
    for _ in range(2):
        with pytest.raises(ValueError, match=r"conv2d: input has 3 channels, weight expects 6"):
            conv_setup(x, np.zeros((4, 6, 3, 3), np.float32), None, 1, 0, 1, 1, 2, "conv2d")
    with pytest.raises(TypeError, match="conv2d: weight has dtype float64 but the input has "
                                        "dtype float32"):
        conv_setup(x, w.astype(np.float64), None, 1, 0, 1, 1, 2, "conv2d")
