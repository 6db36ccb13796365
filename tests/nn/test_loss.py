"""Loss modules: PyTorch parity on random shapes and options, state dicts, gradient checks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(2, 5),
    extra=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    unbatched=st.booleans(),
    probabilities=st.booleans(),
    weighted=st.booleans(),
    ignore_index=st.sampled_from([-100, 0, 1]),
    label_smoothing=st.sampled_from([0.0, 0.0, 0.25]),
    reduction=REDUCTIONS,
    seed=st.integers(0, 2**31),
)
def test_cross_entropy_loss_matches_torch(n, c, extra, unbatched, probabilities, weighted,
                                          ignore_index, label_smoothing, reduction, seed) -> None:
    torch = import_torch()
    rng = np.random.default_rng(seed)
    shape = (c,) if unbatched else (n, c, *extra)
    logits = 3 * rng.standard_normal(shape)
    if probabilities:
        ignore_index = -100                   # PyTorch refuses any other with probabilities
        target = rng.random(shape)
        target /= target.sum(axis=0 if unbatched else 1, keepdims=True)
    else:
        target = rng.integers(0, c, size=shape[:0] if unbatched else (n, *extra))
        target.reshape(-1)[:1] = ignore_index
        if reduction == "mean" and np.all(target == ignore_index):
            target.reshape(-1)[0] = (ignore_index + 1) % c     # all ignored: NaN, tested apart
    weight = 0.5 + rng.random(c) if weighted else None
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
    ours = nn.CrossEntropyLoss(weight, **kwargs)
    theirs = torch.nn.CrossEntropyLoss(None if weight is None else torch.from_numpy(weight),
                                       **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_module_parity(ours, theirs, logits, target, seed=seed)


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(2, 5),
    extra=st.lists(st.integers(1, 3), min_size=0, max_size=1),
    weighted=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 2**31),
)
def test_nll_loss_matches_torch(n, c, extra, weighted, reduction, seed) -> None:
    torch = import_torch()
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c, *extra))
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    target = rng.integers(0, c, size=(n, *extra))
    if target.size > 1:
        target.reshape(-1)[-1] = -100         # (all samples ignored: NaN, tested elsewhere)
    weight = 0.5 + rng.random(c) if weighted else None
    ours = nn.NLLLoss(weight, reduction=reduction)
    theirs = torch.nn.NLLLoss(None if weight is None else torch.from_numpy(weight),
                              reduction=reduction)
    assert_module_parity(ours, theirs, logp, target, seed=seed)


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), reduction=REDUCTIONS,
       seed=st.integers(0, 2**31))
def test_mse_loss_matches_torch(shape, reduction, seed) -> None:
    torch = import_torch()
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal(shape), rng.standard_normal(shape)
    assert_module_parity(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
                         np.asarray(x), np.asarray(t), seed=seed)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(1, 4),
    weighted=st.booleans(),
    pos_weighted=st.booleans(),
    scale=st.sampled_from([1.0, 30.0]),
    reduction=REDUCTIONS,
    seed=st.integers(0, 2**31),
)
def test_bce_with_logits_loss_matches_torch(n, c, weighted, pos_weighted, scale, reduction,
                                            seed) -> None:
    torch = import_torch()
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal((n, c))
    t = rng.random((n, c))
    weight = 0.5 + rng.random((1, c)) if weighted else None
    pos_weight = 0.5 + 2 * rng.random(c) if pos_weighted else None

    def torch_or_none(a):
        return None if a is None else torch.from_numpy(a)

    ours = nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos_weight)
    theirs = torch.nn.BCEWithLogitsLoss(torch_or_none(weight), reduction=reduction,
                                        pos_weight=torch_or_none(pos_weight))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_module_parity(ours, theirs, x, t, seed=seed)


def test_loss_modules_check_module(rng) -> None:
    x = nb.tensor(rng.standard_normal((4, 3)))
    target = np.array([0, 2, 1, 2])
    weight = 0.5 + rng.random(3)
    assert nb.testing.check_module(nn.CrossEntropyLoss(weight, label_smoothing=0.1), x, target)
    assert nb.testing.check_module(nn.NLLLoss(weight), x, target)
    assert nb.testing.check_module(nn.MSELoss(), x, nb.tensor(rng.standard_normal((4, 3))))
    assert nb.testing.check_module(nn.BCEWithLogitsLoss(pos_weight=weight), x,
                                   nb.tensor(rng.random((4, 3))))


def test_loss_reprs() -> None:
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss()) == "MSELoss()"
