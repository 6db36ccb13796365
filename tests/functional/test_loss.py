"""Loss blocks beyond the table: bad targets, extreme logits, ignored samples, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks import nn
from tests.conftest import import_torch


def test_class_index_out_of_range_names_the_loss_the_index_and_c() -> None:
    x = nb.tensor(np.zeros((3, 5)))
    with pytest.raises(IndexError, match=r"cross_entropy: target class index 7 .* 5 classes"):
        F.cross_entropy(x, np.array([0, 7, 1]))
    with pytest.raises(IndexError, match=r"cross_entropy: target class index -1 .*C = 5"):
        F.cross_entropy(x, np.array([0, -1, 1]))
    with pytest.raises(IndexError, match=r"nll_loss: target class index 5 .* 5 classes"):
        F.nll_loss(x, np.array([5, 0, 0]))
    with pytest.raises(IndexError, match=r"cross_entropy: target class index 9"):
        nn.CrossEntropyLoss()(nb.tensor(np.zeros((2, 5, 3))), np.full((2, 3), 9))


def test_wrong_target_shape_says_expected_and_actual() -> None:
    x = nb.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"cross_entropy: target has shape \(4, 1\), expected "
                                         r"\(4,\) \(class indices\)"):
        F.cross_entropy(x, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"class probabilities .* shape \(4, 3\), got \(4, 2\)"):
        F.cross_entropy(x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"mse_loss: target has shape \(4,\), expected .*\(4, 3\)"):
        F.mse_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target has shape"):
        F.binary_cross_entropy_with_logits(x, np.zeros((4, 1)))
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices"):
        F.nll_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(3,\)"):
        F.cross_entropy(x, np.zeros(4, dtype=int), nb.tensor(np.ones(2)))


def test_option_errors() -> None:
    x = nb.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index=0 applies to class-index targets"):
        F.cross_entropy(x, np.full((2, 3), 1 / 3), ignore_index=0)


def test_all_samples_ignored_gives_nan_and_zero_gradient_like_torch() -> None:
    torch = import_torch()
    x = nb.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    target = np.array([-100, -100])
    loss = F.cross_entropy(x, target, label_smoothing=0.1)
    loss.backward()
    t = torch.from_numpy(x.array.copy()).requires_grad_()
    t_loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(target), label_smoothing=0.1)
    t_loss.backward()
    assert np.isnan(loss.item()) and np.isnan(t_loss.item())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_cross_entropy_and_bce_are_stable_at_1e4() -> None:
    torch = import_torch()
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    target = np.array([1, 2])
    x = nb.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, reduction="none")
    loss.sum().backward()
    t = torch.from_numpy(logits.copy()).requires_grad_()
    t_loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(target), reduction="none")
    t_loss.sum().backward()
    np.testing.assert_allclose(loss.array, t_loss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), atol=1e-12)
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    bce = F.binary_cross_entropy_with_logits(nb.tensor(z), y, reduction="none")
    t_bce = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(z), torch.from_numpy(y), reduction="none")
    np.testing.assert_allclose(bce.array, t_bce.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bce.array, [1e4, 1e4, 0.0, 0.0])


@pytest.mark.parametrize("fn", [
    lambda x: F.cross_entropy(x, np.array([0, 2])),
    lambda x: F.cross_entropy(x, np.full((2, 3), 1 / 3), label_smoothing=0.1),
    lambda x: F.nll_loss(x, np.array([0, 2]), nb.tensor(np.ones(3))),
    lambda x: F.mse_loss(x, np.zeros((2, 3))),
    lambda x: F.binary_cross_entropy_with_logits(x, np.ones((2, 3)), pos_weight=np.ones(3)),
], ids=["ce", "ce_probs", "nll_weight_float64", "mse_target_float64", "bce"])
def test_losses_keep_float32(fn, rng) -> None:
    x = nb.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    loss = fn(x)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_cross_entropy_of_one_hot_targets_is_the_lectures_formula(rng) -> None:
    z = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, 5)
    one_hot = np.eye(4)[y]
    q = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    lecture = -(one_hot * np.log(q)).sum()
    assert F.cross_entropy(nb.tensor(z), y, reduction="sum").item() == pytest.approx(lecture)
    assert F.cross_entropy(nb.tensor(z), one_hot, reduction="sum").item() == pytest.approx(lecture)
