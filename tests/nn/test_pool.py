"""Pooling modules: PyTorch parity on random geometry, ties, gradient checks, errors, and a fully
convolutional net that accepts any input size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Distinct values (a shuffled grid 0.01 apart): no ties in any window."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2) * 0.01).reshape(shape)


@st.composite
def pool_geometry(draw, dims: int, dilation: bool) -> dict:
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(dims)) if dilation else (1,) * dims
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    size = tuple(max(1, r - 2 * p) + draw(st.integers(0, 5)) for r, p in zip(reach, padding))
    out = {"kernel_size": kernel, "stride": stride, "padding": padding,
           "ceil_mode": draw(st.booleans())}
    if dilation:
        out["dilation"] = dil
    return {"hyper": out, "size": size, "batch": draw(st.integers(1, 3)),
            "channels": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 2**31))}


def _parity(name: str, g: dict, extra: dict | None = None, distinct: bool = False) -> None:
    torch = import_torch()
    hyper = {**g["hyper"], **(extra or {})}
    rng = np.random.default_rng(g["seed"])
    shape = (g["batch"], g["channels"], *g["size"])
    x = _distinct(rng, shape) if distinct else rng.standard_normal(shape)
    theirs_y = getattr(torch.nn, name)(**hyper)(torch.from_numpy(x))
    assume(bool(torch.isfinite(theirs_y).all()))   # a dilated window may see only padding
    assert_module_parity(getattr(nn, name)(**hyper), getattr(torch.nn, name)(**hyper), x,
                         seed=g["seed"])


@settings(max_examples=30, deadline=None)
@given(g=pool_geometry(2, dilation=True))
def test_max_pool2d_matches_torch(g) -> None:
    _parity("MaxPool2d", g, distinct=True)


@settings(max_examples=20, deadline=None)
@given(g=pool_geometry(1, dilation=True))
def test_max_pool1d_matches_torch(g) -> None:
    _parity("MaxPool1d", g, distinct=True)


@settings(max_examples=30, deadline=None)
@given(g=pool_geometry(2, dilation=False), include=st.booleans())
def test_avg_pool2d_matches_torch(g, include) -> None:
    _parity("AvgPool2d", g, {"count_include_pad": include})


@settings(max_examples=20, deadline=None)
@given(g=pool_geometry(1, dilation=False), include=st.booleans())
def test_avg_pool1d_matches_torch(g, include) -> None:
    _parity("AvgPool1d", g, {"count_include_pad": include})


@settings(max_examples=30, deadline=None)
@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       out=st.tuples(st.one_of(st.none(), st.integers(1, 10)), st.integers(1, 10)),
       kind=st.sampled_from(["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]),
       seed=st.integers(0, 2**31))
def test_adaptive_pool2d_matches_torch(size, out, kind, seed) -> None:
    torch = import_torch()
    x = _distinct(np.random.default_rng(seed), (2, 3, *size))
    assert_module_parity(getattr(nn, kind)(out), getattr(torch.nn, kind)(out), x, seed=seed)


@pytest.mark.parametrize("kind", ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d"])
@pytest.mark.parametrize("length, out", [(7, 3), (8, 4), (3, 5), (6, 1)])
def test_adaptive_pool1d_matches_torch(kind, length, out, rng) -> None:
    torch = import_torch()
    x = _distinct(rng, (2, 3, length))
    assert_module_parity(getattr(nn, kind)(out), getattr(torch.nn, kind)(out), x)


def test_max_pool_indices_match_torch(rng) -> None:
    torch = import_torch()
    x = _distinct(rng, (2, 3, 9, 8))
    for ours, theirs in [
        (nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True),
         torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)),
        (nn.AdaptiveMaxPool2d((4, 3), return_indices=True),
         torch.nn.AdaptiveMaxPool2d((4, 3), return_indices=True)),
    ]:
        y, idx = ours(nb.tensor(x))
        ty, tidx = theirs(torch.from_numpy(x))
        np.testing.assert_array_equal(y.array, ty.numpy())
        np.testing.assert_array_equal(idx.array, tidx.numpy())
        assert idx.dtype == np.int64 and not idx.requires_grad


@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, 1, 1), lambda m: m.MaxPool2d(2, 1),
    lambda m: m.AdaptiveMaxPool2d((2, 3)), lambda m: m.MaxPool1d(3, 2),
])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum_as_torch(make) -> None:
    """Ties (e.g. the zeros after a ReLU): one element of the window gets the whole gradient,
    the first maximum in row-major order — the same element PyTorch picks on CPU."""
    torch = import_torch()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 2, 5, 6)).astype(np.float64)     # many ties
    if "1d" in type(make(nn)).__name__:
        x = x[:, :, 0]
    xt = nb.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x).requires_grad_()
    u = rng.standard_normal(np.shape(make(nn)(xt).array))
    (make(nn)(xt) * nb.tensor(u)).sum().backward()
    (make(torch.nn)(tx) * torch.from_numpy(u)).sum().backward()
    # the same elements get gradient (overlapping windows may add in another order)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("module, shape", [
    (lambda: nn.MaxPool2d((2, 3), stride=(1, 2), padding=1, dilation=(2, 1)), (2, 2, 6, 7)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 6, 7)),
    (lambda: nn.AvgPool1d(3, 2, 1), (2, 2, 9)),
    (lambda: nn.MaxPool1d(2), (2, 2, 9)),
    (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 2, 5, 7)),
    (lambda: nn.AdaptiveMaxPool2d((3, 2)), (2, 2, 5, 7)),
    (lambda: nn.AdaptiveAvgPool1d(4), (2, 2, 7)),
    (lambda: nn.AdaptiveMaxPool1d(4), (2, 2, 7)),
    (lambda: nn.GlobalAvgPool2d(), (2, 3, 4, 5)),
    (lambda: nn.GlobalMaxPool2d(), (2, 3, 4, 5)),
])
def test_pool_module_gradcheck(module, shape, rng) -> None:
    x = nb.tensor(_distinct(rng, shape), requires_grad=True)
    assert nb.testing.check_module(module(), x, rng=rng)


def test_global_pooling_matches_adaptive_pooling(rng) -> None:
    torch = import_torch()
    x = rng.standard_normal((2, 3, 5, 7))
    avg = nn.GlobalAvgPool2d()(nb.tensor(x))
    mx = nn.GlobalMaxPool2d()(nb.tensor(x))
    assert avg.shape == mx.shape == (2, 3)
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(avg.array, torch.nn.functional.adaptive_avg_pool2d(tx, 1)
                               .flatten(1).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(mx.array, torch.nn.functional.adaptive_max_pool2d(tx, 1)
                                  .flatten(1).numpy())


def test_fully_convolutional_net_accepts_any_input_size(rng) -> None:
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 5, 3, padding="same", rng=rng), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten())
    head = nn.Sequential(nn.Conv2d(1, 3, 3, rng=rng), nn.GlobalMaxPool2d())
    for h, w in [(8, 8), (13, 21), (32, 9), (3, 4)]:
        x = nb.tensor(rng.standard_normal((2, 1, h, w)).astype(np.float32), requires_grad=True)
        y = net(x)
        assert y.shape == (2, 5) and y.dtype == np.float32
        y.sum().backward()
        assert x.grad.shape == (2, 1, h, w)
        assert head(x).shape == (2, 3)


def test_pool_float32_end_to_end(rng) -> None:
    x = nb.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    for module in [nn.MaxPool2d(2), nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                   nn.AdaptiveAvgPool2d(3), nn.AdaptiveMaxPool2d(3), nn.GlobalAvgPool2d()]:
        x.grad = None
        y = module(x)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32, module


def test_pool_errors_name_the_layer() -> None:
    x = nb.tensor(np.zeros((1, 2, 3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=4.*input of spatial size "
                                         r"\(3, 3\) is too small for kernel_size \(4, 4\)"):
        nn.MaxPool2d(4)(x)
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*expected a 4-D input "
                                         r"\(N, C, H, W\) or a 3-D unbatched one, got shape "
                                         r"\(3, 3\)"):
        nn.MaxPool2d(2)(nb.tensor(np.zeros((3, 3))))
    with pytest.raises(ValueError, match=r"AvgPool2d.*padding 2 should be at most half of "
                                         r"kernel_size 3"):
        nn.AvgPool2d(3, padding=2)(x)
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d.*output_size must hold positive"):
        nn.AdaptiveAvgPool2d(0)(x)
    with pytest.raises(ValueError, match=r"AvgPool1d.*expected a 3-D input \(N, C, L\)"):
        nn.AvgPool1d(2)(x)
    with pytest.raises(ValueError, match=r"global_avg_pool2d: expected a 4-D input"):
        nn.GlobalAvgPool2d()(nb.tensor(np.zeros((2, 3, 4))))
    with pytest.raises(TypeError, match=r"max_pool2d: input must be floating point"):
        nb.functional.max_pool2d(nb.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2)
