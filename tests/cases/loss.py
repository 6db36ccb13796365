"""Block cases for the losses: cross-entropy (indices, probabilities, weights, ignore_index,
label smoothing, every reduction), NLL, MSE, BCE with logits."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
from nnblocks.functional.loss import (
    BCEWithLogitsBlock,
    CrossEntropyBlock,
    MSELossBlock,
    NLLLossBlock,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from tests.cases import Case


def _torch_f():
    import torch

    return torch.nn.functional


def _class_inputs(x_shape: tuple, weighted: bool = False, ignored: int = 0):
    """Logits, integer targets (the first ``ignored`` set to -100), class weights."""

    def make(rng: np.random.Generator) -> list:
        c = x_shape[1] if len(x_shape) > 1 else x_shape[0]
        target_shape = x_shape[:1] + x_shape[2:] if len(x_shape) > 1 else ()
        target = rng.integers(0, c, size=target_shape)
        target.reshape(-1)[:ignored] = -100
        out = [nb.tensor(2 * rng.standard_normal(x_shape), requires_grad=True), target]
        if weighted:
            out.append(nb.tensor(0.5 + rng.random(c)))
        return out

    return make


def _prob_inputs(x_shape: tuple, weighted: bool = False):
    def make(rng: np.random.Generator) -> list:
        t = rng.random(x_shape)
        t = t / t.sum(axis=1, keepdims=True)
        out = [nb.tensor(rng.standard_normal(x_shape), requires_grad=True),
               nb.tensor(t, requires_grad=True)]
        if weighted:
            out.append(nb.tensor(0.5 + rng.random(x_shape[1])))
        return out

    return make


def _ce_reference(x, t):
    """The lecture's formula with one-hot targets: -sum_c y_c log softmax(x)_c, averaged."""
    q = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    return -np.mean(np.log(q[np.arange(len(t)), t]))


def _pair(shape: tuple, target_grad: bool = True):
    def make(rng: np.random.Generator) -> list:
        return [nb.tensor(rng.standard_normal(shape), requires_grad=True),
                nb.tensor(rng.standard_normal(shape), requires_grad=target_grad)]

    return make


def _bce_inputs(rng: np.random.Generator) -> list:
    return [nb.tensor(3 * rng.standard_normal((4, 3)), requires_grad=True),
            nb.tensor(rng.random((4, 3)), requires_grad=True),
            nb.tensor(0.5 + rng.random((4, 1))),
            nb.tensor(0.5 + 2 * rng.random(3))]


def _log_probs(x_shape: tuple, weighted: bool = False, ignored: int = 0):
    make_logits = _class_inputs(x_shape, weighted, ignored)

    def make(rng: np.random.Generator) -> list:
        out = make_logits(rng)
        x = out[0].array
        logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
        out[0] = nb.tensor(logp, requires_grad=True)
        return out

    return make


_CE = dict(torch_convert_constants=True)

CASES = [
    Case(CrossEntropyBlock, "cross_entropy_indices", cross_entropy, _class_inputs((5, 4)),
         reference=_ce_reference,
         torch_fn=lambda x, t: _torch_f().cross_entropy(x, t), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_nd_weight_ignore_sum",
         lambda x, t, w: cross_entropy(x, t, w, reduction="sum"),
         _class_inputs((3, 4, 2), weighted=True, ignored=2),
         torch_fn=lambda x, t, w: _torch_f().cross_entropy(x, t, w, reduction="sum"), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_weight_ignore_mean",
         lambda x, t, w: cross_entropy(x, t, w, ignore_index=-100),
         _class_inputs((6, 3), weighted=True, ignored=2),
         torch_fn=lambda x, t, w: _torch_f().cross_entropy(x, t, w), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_smoothing_none",
         lambda x, t, w: cross_entropy(x, t, w, reduction="none", label_smoothing=0.2),
         _class_inputs((4, 5, 2), weighted=True, ignored=1),
         torch_fn=lambda x, t, w: _torch_f().cross_entropy(x, t, w, reduction="none",
                                                          label_smoothing=0.2), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_smoothing_ignore_mean",
         lambda x, t, w: cross_entropy(x, t, w, label_smoothing=0.3),
         _class_inputs((5, 4), weighted=True, ignored=2),
         torch_fn=lambda x, t, w: _torch_f().cross_entropy(x, t, w, label_smoothing=0.3), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_unbatched", cross_entropy, _class_inputs((4,)),
         torch_fn=lambda x, t: _torch_f().cross_entropy(x, t), **_CE),
    Case(CrossEntropyBlock, "cross_entropy_probabilities", cross_entropy, _prob_inputs((4, 3)),
         torch_fn=lambda x, t: _torch_f().cross_entropy(x, t)),
    Case(CrossEntropyBlock, "cross_entropy_probabilities_nd_weight_smoothing",
         lambda x, t, w: cross_entropy(x, t, w, label_smoothing=0.1),
         _prob_inputs((2, 3, 4), weighted=True),
         torch_fn=lambda x, t, w: _torch_f().cross_entropy(x, t, w, label_smoothing=0.1)),
    Case(CrossEntropyBlock, "cross_entropy_probabilities_none",
         lambda x, t: cross_entropy(x, t, reduction="none"), _prob_inputs((3, 4)),
         torch_fn=lambda x, t: _torch_f().cross_entropy(x, t, reduction="none")),
    Case(NLLLossBlock, "nll_loss", nll_loss, _log_probs((5, 4)),
         torch_fn=lambda x, t: _torch_f().nll_loss(x, t), **_CE),
    Case(NLLLossBlock, "nll_loss_nd_weight_ignore", lambda x, t, w: nll_loss(x, t, w),
         _log_probs((3, 4, 2), weighted=True, ignored=2),
         torch_fn=lambda x, t, w: _torch_f().nll_loss(x, t, w), **_CE),
    Case(NLLLossBlock, "nll_loss_none", lambda x, t: nll_loss(x, t, reduction="none"),
         _log_probs((4, 3), ignored=1),
         torch_fn=lambda x, t: _torch_f().nll_loss(x, t, reduction="none"), **_CE),
    Case(MSELossBlock, "mse_loss", mse_loss, _pair((3, 4)),
         reference=lambda x, t: np.mean((x - t) ** 2),
         torch_fn=lambda x, t: _torch_f().mse_loss(x, t)),
    Case(MSELossBlock, "mse_loss_sum", lambda x, t: mse_loss(x, t, reduction="sum"), _pair((5,)),
         torch_fn=lambda x, t: _torch_f().mse_loss(x, t, reduction="sum")),
    Case(MSELossBlock, "mse_loss_none", lambda x, t: mse_loss(x, t, reduction="none"),
         _pair((2, 3), target_grad=False),
         torch_fn=lambda x, t: _torch_f().mse_loss(x, t, reduction="none")),
    Case(BCEWithLogitsBlock, "bce_with_logits", binary_cross_entropy_with_logits, _pair((4, 3)),
         reference=lambda x, t: np.mean(-(t * np.log(1 / (1 + np.exp(-x)))
                                          + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x))))),
         torch_fn=lambda x, t: _torch_f().binary_cross_entropy_with_logits(x, t)),
    Case(BCEWithLogitsBlock, "bce_with_logits_weight_pos_weight_sum",
         lambda x, t, w, p: binary_cross_entropy_with_logits(x, t, w, pos_weight=p,
                                                             reduction="sum"),
         _bce_inputs,
         torch_fn=lambda x, t, w, p: _torch_f().binary_cross_entropy_with_logits(
             x, t, w, pos_weight=p, reduction="sum")),
    Case(BCEWithLogitsBlock, "bce_with_logits_pos_weight_none",
         lambda x, t, w, p: binary_cross_entropy_with_logits(x, t, pos_weight=p,
                                                             reduction="none"),
         _bce_inputs,
         torch_fn=lambda x, t, w, p: _torch_f().binary_cross_entropy_with_logits(
             x, t, pos_weight=p, reduction="none")),
]
