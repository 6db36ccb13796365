"""BatchNorm1d/2d, GroupNorm, LayerNorm: PyTorch parity (outputs, gradients, running statistics
over several steps, train and eval), state-dict keys, reprs, errors, gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity, load_from_torch


def _randomize_affine(theirs, seed: int) -> None:
    torch = import_torch()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5 + 1.0)


@settings(max_examples=15, deadline=None)
@given(
    layout=st.sampled_from(["NC", "NCL", "NCHW"]),
    n=st.integers(1, 4),
    c=st.integers(1, 4),
    spatial=st.integers(1, 3),
    momentum=st.sampled_from([0.1, 0.7, None]),
    affine=st.booleans(),
    bias=st.booleans(),
    track=st.booleans(),
    eps=st.sampled_from([1e-5, 1e-2]),
    steps=st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_batchnorm_matches_torch_over_steps(layout, n, c, spatial, momentum, affine, bias, track,
                                            eps, steps, seed) -> None:
    torch = import_torch()
    shape = {"NC": (n, c), "NCL": (n, c, spatial), "NCHW": (n, c, spatial, spatial + 1)}[layout]
    if np.prod(shape) // c < 2:
        shape = (n + 1,) + shape[1:]            # training needs 2 values per channel
    ours_cls, their_cls = ((nn.BatchNorm2d, torch.nn.BatchNorm2d) if layout == "NCHW"
                           else (nn.BatchNorm1d, torch.nn.BatchNorm1d))
    kwargs = dict(eps=eps, momentum=momentum, affine=affine, track_running_stats=track, bias=bias)
    ours, theirs = ours_cls(c, **kwargs), their_cls(c, **kwargs)
    _randomize_affine(theirs, seed)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        x = 2.0 * rng.standard_normal(shape) + rng.standard_normal()
        assert_module_parity(ours, theirs, x, seed=seed + step, load=step == 0)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    # a batch of 1 is fine in evaluation, unless the batch statistics are used there too
    x = rng.standard_normal(((1,) if track else shape[:1]) + shape[1:])
    assert_module_parity(ours, theirs, x, seed=seed, load=False)


def test_batchnorm_state_dict_keys_and_buffers() -> None:
    bn = nn.BatchNorm2d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert bn.running_mean.dtype == np.float32
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []
    assert repr(bn) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")


def test_batchnorm_loads_a_trained_torch_state_and_agrees_in_eval(rng) -> None:
    torch = import_torch()
    theirs = torch.nn.BatchNorm2d(4)
    for _ in range(3):
        theirs(torch.randn(5, 4, 3, 3) * 3 + 1)
    theirs.eval()
    ours = nn.BatchNorm2d(4)
    load_from_torch(ours, theirs)
    ours.eval()
    assert int(ours.num_batches_tracked) == 3
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    y = ours(nb.tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.array, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


def test_batchnorm_running_variance_is_unbiased(rng) -> None:
    bn = nn.BatchNorm1d(2, momentum=1.0).double()
    x = rng.standard_normal((6, 2))
    bn(nb.tensor(x))
    np.testing.assert_allclose(bn.running_mean, x.mean(0))
    np.testing.assert_allclose(bn.running_var, x.var(0, ddof=1))


def test_batchnorm_cumulative_average_with_momentum_none(rng) -> None:
    bn = nn.BatchNorm1d(3, momentum=None).double()
    batches = [rng.standard_normal((4, 3)) + i for i in range(3)]
    for x in batches:
        bn(nb.tensor(x))
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(0) for x in batches], axis=0))
    assert int(bn.num_batches_tracked) == 3


def test_batchnorm_errors() -> None:
    bn = nn.BatchNorm2d(16)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(16.*3 channels.*\(2, 3, 8, 8\).*16"):
        bn(nb.tensor(np.zeros((2, 3, 8, 8))))
    with pytest.raises(ValueError, match=r"BatchNorm2d.*\(N, C, H, W\).*\(2, 16\)"):
        bn(nb.tensor(np.zeros((2, 16))))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*\(N, C\) or \(N, C, L\)"):
        nn.BatchNorm1d(3)(nb.tensor(np.zeros((2, 3, 4, 4))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(nb.tensor(np.zeros((1, 3), dtype=np.float32)))


@pytest.mark.parametrize("module, shape", [(nn.BatchNorm1d(3), (4, 3, 2)),
                                           (nn.BatchNorm2d(3, momentum=None), (2, 3, 2, 2))],
                         ids=["1d", "2d"])
def test_batchnorm_check_module_train_and_eval(module, shape, rng) -> None:
    _set_params(module, rng)
    x = nb.tensor(rng.standard_normal(shape))
    assert nb.testing.check_module(module, x)
    module.eval()
    assert nb.testing.check_module(module, x)


def _set_params(module: nn.Module, rng: np.random.Generator) -> None:
    for p in module.parameters():
        p.array = 1.0 + 0.5 * rng.standard_normal(p.shape)


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, 3),
    groups=st.integers(1, 3),
    per_group=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    eps=st.sampled_from([1e-5, 0.1]),
    affine=st.booleans(),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_groupnorm_matches_torch(n, groups, per_group, spatial, eps, affine, bias, seed) -> None:
    torch = import_torch()
    c = groups * per_group
    if per_group * int(np.prod(spatial)) < 2:
        spatial = [*spatial, 2]                          # a group needs 2 values for a variance
    ours = nn.GroupNorm(groups, c, eps=eps, affine=affine, bias=bias)
    theirs = torch.nn.GroupNorm(groups, c, eps=eps, affine=affine, bias=bias)
    _randomize_affine(theirs, seed)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(seed).standard_normal((n, c, *spatial))
    assert_module_parity(ours, theirs, x, seed=seed)


def test_groupnorm_errors_and_check(rng) -> None:
    with pytest.raises(ValueError, match=r"num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)
    gn = nn.GroupNorm(2, 4)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4.*3 channels.*expected 4"):
        gn(nb.tensor(np.zeros((2, 3, 5))))
    with pytest.raises(ValueError, match=r"group_norm: input has 6 channels.*num_groups=4"):
        nb.functional.group_norm(nb.tensor(np.zeros((2, 6, 3))), 4)
    _set_params(gn, rng)
    assert nb.testing.check_module(gn, nb.tensor(rng.standard_normal((2, 4, 3))))


def test_groupnorm_is_independent_of_the_batch(rng) -> None:
    gn = nn.GroupNorm(2, 4).double()
    x = rng.standard_normal((3, 4, 5))
    together = gn(nb.tensor(x)).array
    alone = gn(nb.tensor(x[1:2])).array
    np.testing.assert_allclose(together[1:2], alone, rtol=1e-12)


@settings(max_examples=12, deadline=None)
@given(
    lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    normalized=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    eps=st.sampled_from([1e-5, 0.1]),
    affine=st.booleans(),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_layernorm_matches_torch(lead, normalized, eps, affine, bias, seed) -> None:
    torch = import_torch()
    if int(np.prod(normalized)) < 2:
        normalized = [*normalized, 2]
    ours = nn.LayerNorm(normalized, eps=eps, elementwise_affine=affine, bias=bias)
    theirs = torch.nn.LayerNorm(normalized, eps=eps, elementwise_affine=affine, bias=bias)
    _randomize_affine(theirs, seed)
    assert repr(ours) == repr(theirs)
    x = 3 * np.random.default_rng(seed).standard_normal((*lead, *normalized)) + 1
    assert_module_parity(ours, theirs, x, seed=seed)


def test_layernorm_errors_and_check(rng) -> None:
    ln = nn.LayerNorm(5)
    assert repr(ln) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"
    with pytest.raises(ValueError, match=r"LayerNorm\(\(5,\).*\(2, 4\).*\(5,\)"):
        ln(nb.tensor(np.zeros((2, 4))))
    _set_params(ln, rng)
    assert nb.testing.check_module(ln, nb.tensor(rng.standard_normal((3, 5))))


def test_norms_keep_float32(rng) -> None:
    x = nb.tensor(rng.standard_normal((4, 4, 3)).astype(np.float32), requires_grad=True)
    for module in (nn.BatchNorm1d(4), nn.GroupNorm(2, 4), nn.LayerNorm(3)):
        x.grad = None
        y = module(x)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32, module
        for p in module.parameters():
            assert p.grad.dtype == np.float32
    bn = nn.BatchNorm1d(4)
    bn(x)
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32


@pytest.mark.parametrize("module, shape", [(nn.BatchNorm1d(3), (2, 3)),
                                           (nn.BatchNorm2d(3, affine=False), (2, 3, 2, 2)),
                                           (nn.GroupNorm(1, 3), (2, 3, 4)),
                                           (nn.LayerNorm(3), (2, 3))],
                         ids=["bn1d", "bn2d-no-affine", "gn", "ln"])
def test_norms_refuse_an_input_of_another_dtype_like_torch(module, shape) -> None:
    # PyTorch: "mixed dtype (CPU): all inputs must share same datatype"; no silent float64
    name = type(module).__name__
    with pytest.raises(TypeError, match=rf"{name}\(.*input has dtype float64 but the layer's "
                                        r"parameters have dtype float32"):
        module(nb.tensor(np.zeros(shape)))
    assert module.double()(nb.tensor(np.ones(shape))).dtype == np.float64


def test_running_statistics_are_tensors_as_torch() -> None:
    """``bn.running_mean`` and friends are tensors (``.zero_()``, ``.clone()``, ``.data``), each
    update an in-place change with a version bump, as PyTorch's buffers."""
    torch = import_torch()
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    results = []
    for lib in (nb, torch):
        bn = lib.nn.BatchNorm2d(3)
        before = bn.running_mean.clone()
        bn(lib.tensor(x))
        assert isinstance(bn.running_mean, lib.Tensor) and bn.running_mean._version == 1
        assert isinstance(bn.num_batches_tracked, lib.Tensor)
        results.append((before.numpy().copy(), bn.running_mean.numpy().copy(),
                        bn.running_var.data.numpy().copy(), int(bn.num_batches_tracked)))
        bn.running_var.fill_(2.0)
        bn.reset_running_stats()
        assert float(bn.running_var.sum()) == 3.0
    for ours, theirs in zip(results[0], results[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
