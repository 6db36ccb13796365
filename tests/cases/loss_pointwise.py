"""Block cases for the element-wise losses beside MSE: L1, smooth L1 / Huber, binary
cross-entropy on probabilities (nnblocks.functional.loss_pointwise)."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.loss_pointwise import (
    BinaryCrossEntropyBlock,
    L1LossBlock,
    SmoothL1LossBlock,
    binary_cross_entropy,
    huber_loss,
    l1_loss,
    smooth_l1_loss,
)
from tests.cases import Case


def _torch_f():
    import torch

    return torch.nn.functional


def _away_pair(shape: tuple, kinks: tuple = (0.0,), target_grad: bool = True):
    """Input and target whose differences stay 0.1 away from the losses' kinks (0, ±beta)."""

    def make(rng: np.random.Generator) -> list:
        t = rng.standard_normal(shape)
        d = 2 * rng.standard_normal(shape)
        for k in kinks:
            for sign in (1.0, -1.0):
                near = np.abs(d - sign * k) < 0.1
                d = np.where(near, sign * k + np.where(d >= sign * k, 0.1, -0.1), d)
        return [nb.tensor(t + d, requires_grad=True), nb.tensor(t, requires_grad=target_grad)]

    return make


def _probabilities(shape: tuple, weighted: bool = False):
    def make(rng: np.random.Generator) -> list:
        p = nb.tensor(rng.uniform(0.05, 0.95, shape), requires_grad=True)
        t = nb.tensor(rng.uniform(0.0, 1.0, shape), requires_grad=True)
        out = [p, t]
        if weighted:
            out.append(nb.tensor(0.5 + rng.random(shape[-1])))
        return out

    return make


CASES = [
    Case(L1LossBlock, "l1_loss", l1_loss, _away_pair((3, 4)),
         reference=lambda x, t: np.mean(np.abs(x - t)),
         torch_fn=lambda x, t: _torch_f().l1_loss(x, t)),
    Case(L1LossBlock, "l1_loss_none", lambda x, t: l1_loss(x, t, reduction="none"),
         _away_pair((5,)), torch_fn=lambda x, t: _torch_f().l1_loss(x, t, reduction="none")),
    Case(SmoothL1LossBlock, "smooth_l1_loss", smooth_l1_loss, _away_pair((4, 3), (0.0, 1.0)),
         torch_fn=lambda x, t: _torch_f().smooth_l1_loss(x, t)),
    Case(SmoothL1LossBlock, "smooth_l1_loss_beta_sum",
         lambda x, t: smooth_l1_loss(x, t, reduction="sum", beta=0.5),
         _away_pair((6,), (0.0, 0.5)),
         torch_fn=lambda x, t: _torch_f().smooth_l1_loss(x, t, reduction="sum", beta=0.5)),
    Case(SmoothL1LossBlock, "huber_loss_delta_none",
         lambda x, t: huber_loss(x, t, reduction="none", delta=1.5),
         _away_pair((3, 3), (0.0, 1.5)),
         reference=lambda x, t: np.where(np.abs(x - t) < 1.5, 0.5 * (x - t) ** 2,
                                         1.5 * (np.abs(x - t) - 0.75)),
         torch_fn=lambda x, t: _torch_f().huber_loss(x, t, reduction="none", delta=1.5)),
    Case(BinaryCrossEntropyBlock, "binary_cross_entropy", binary_cross_entropy,
         _probabilities((4, 3)),
         reference=lambda p, t: np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))),
         torch_fn=lambda p, t: _torch_f().binary_cross_entropy(p, t)),
    Case(BinaryCrossEntropyBlock, "binary_cross_entropy_weight_sum",
         lambda p, t, w: binary_cross_entropy(p, t, w, reduction="sum"),
         _probabilities((2, 5), weighted=True),
         torch_fn=lambda p, t, w: _torch_f().binary_cross_entropy(p, t, w, reduction="sum")),
]
