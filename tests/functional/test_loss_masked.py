"""Losses with masked logits (``-inf``): ``0 * -inf`` must count as 0 for a target of 0, in
every path of cross-entropy and NLL, as PyTorch computes them (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F

INF = np.inf


def _logits_2d() -> np.ndarray:
    return np.array([[0.5, -INF, 1.0, 0.2],
                     [2.0, 1.0, -INF, -INF],
                     [-INF, 0.3, 0.1, 0.0]])               # (N=3, C=4)


def _targets() -> np.ndarray:
    return np.array([0, 1, 3])                                # never a masked class


CASES = {
    "weights": dict(weight=np.array([1.0, 2.0, 0.5, 3.0])),
    "ignore_index hit": dict(ignore_index=1),
    "label smoothing, weight 0 on masked": dict(label_smoothing=0.1),
    "weights and ignore_index": dict(weight=np.array([1.0, 2.0, 0.5, 3.0]), ignore_index=0),
    "reduction none": dict(reduction="none"),
    "reduction sum, weights": dict(reduction="sum", weight=np.array([1.0, 2.0, 0.5, 3.0])),
}


def _torch_reference(torch, fn, x, target, **kwargs):
    """PyTorch's value and gradient; where PyTorch itself makes NaN of ``0 * -inf`` (probability
    targets), the value of the limit: the same loss with ``-1e30`` for ``-inf``."""
    def run(values):
        xt = torch.tensor(values, requires_grad=True)
        args = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
        loss = fn(xt, torch.tensor(target), **args)
        loss.sum().backward()
        return loss.detach().numpy(), xt.grad.numpy()

    value, grad = run(x)
    if np.isnan(value).any():
        value, grad = run(np.where(np.isneginf(x), -1e30, x))
    return value, grad


def _ours(fn, x, target, **kwargs):
    xt = nb.tensor(x, requires_grad=True)
    loss = fn(xt, target, **kwargs)
    loss.sum().backward()
    return loss.array, xt.grad


@pytest.mark.parametrize("case", list(CASES))
def test_cross_entropy_with_masked_logits_equals_torch(torch, case):
    kwargs = CASES[case]
    x, target = _logits_2d(), _targets()
    if "label_smoothing" in kwargs:                # smoothing puts mass on every class: weight
        kwargs = {**kwargs, "weight": np.array([1.0, 0.0, 0.0, 1.0])}   # 0 on masked ones
        x = np.array([[0.5, -INF, -INF, 0.2], [2.0, -INF, -INF, 1.0]])
        target = np.array([0, 3])
    value, grad = _ours(F.cross_entropy, x, target, **kwargs)
    ref_value, ref_grad = _torch_reference(torch, torch.nn.functional.cross_entropy, x, target,
                                           **kwargs)
    assert not np.isnan(value).any() and np.isfinite(value).all()
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_spatial_input_with_masked_logits(torch):
    x = np.moveaxis(_logits_2d().reshape(1, 3, 4), -1, 1).copy()      # (N=1, C=4, d=3)
    target = _targets().reshape(1, 3)
    value, grad = _ours(F.cross_entropy, x, target)
    ref_value, ref_grad = _torch_reference(torch, torch.nn.functional.cross_entropy, x, target)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", [{}, {"weight": np.array([1.0, 2.0, 0.5, 3.0])},
                                    {"ignore_index": 3}, {"reduction": "none"}])
def test_nll_loss_with_masked_log_probabilities(torch, kwargs):
    x = _logits_2d()
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))           # -inf stays -inf
    value, grad = _ours(F.nll_loss, logp, _targets(), **kwargs)
    ref_value, ref_grad = _torch_reference(torch, torch.nn.functional.nll_loss, logp,
                                           _targets(), **kwargs)
    assert np.isfinite(value).all()
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


def test_probability_targets_take_the_limit_where_torch_gives_nan(torch):
    x = _logits_2d()
    probabilities = np.eye(4)[_targets()]
    value, grad = _ours(F.cross_entropy, x, probabilities)
    ref_value, _ = _torch_reference(torch, torch.nn.functional.cross_entropy, x, probabilities)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    assert np.isfinite(grad).all()


def test_a_masked_target_class_gives_inf_as_torch(torch):
    x = _logits_2d()
    target = np.array([1, 1, 3])                          # sample 0's target logit is -inf
    value, _ = _ours(F.cross_entropy, x, target, weight=np.ones(4))
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target),
                                            weight=torch.ones(4, dtype=torch.float64))
    assert value == ref.item() == np.inf
