r"""Loss blocks, each one fused block: cross-entropy on logits, NLL, MSE, BCE with logits.

Reductions follow PyTorch: ``'none'`` returns the per-element (per-sample) losses, ``'sum'`` their
sum, ``'mean'`` their mean — which for class-index targets with ``weight`` or ``ignore_index``
is the weighted mean :math:`\sum_n L_n / \sum_n w_{y_n}` over the samples that are not ignored.

The lecture's cross-entropy: with one-hot targets :math:`y_{ic}` and the softmax :math:`q_{ic}`
of the network's scores, :math:`L = -\sum_i \sum_c y_{ic} \log q_{ic}`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.functional.activation import SigmoidBlock, log_softmax_array

Array = np.ndarray

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Array, reduction: str, denominator: float) -> Array:
    """Apply the reduction; ``denominator`` is what ``'mean'`` divides the sum by."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):        # all ignored: 0/0 = NaN as torch
        return np.asarray(total / denominator, dtype=losses.dtype)


def _reduce_backward(gy: Array, reduction: str, denominator: float) -> Array:
    """dL/d(per-element losses), broadcastable against them.

    When every sample is ignored the mean is NaN (0/0) but no sample affects it: its gradient is
    0, as PyTorch's.
    """
    if reduction in ("none", "sum"):
        return gy
    if denominator == 0:
        return np.zeros_like(gy)
    return gy / denominator


def _classes_last(name: str, x: Array) -> Array:
    """``(N, C, *d)`` → ``(N, *d, C)`` (a view); ``(C,)`` stays (an unbatched sample)."""
    if x.ndim == 0:
        raise ValueError(f"{name}: input must be (C,) or (N, C, *d), got a scalar")
    return np.moveaxis(x, 1, -1) if x.ndim >= 2 else x


def _classes_back(g: Array, ndim: int) -> Array:
    return np.moveaxis(g, -1, 1) if ndim >= 2 else g


def _weighted_log_sum(q: Array, logp: Array) -> Array:
    r""":math:`-\sum_c q_{\dots c} \log p_{\dots c}` over the last axis, where a term with
    :math:`q = 0` is 0 even when :math:`\log p = -\infty` (a masked logit).

    IEEE arithmetic makes :math:`0 \cdot (-\infty)` NaN; the loss's limit is 0
    (:math:`t \log p \to 0`), which is what PyTorch returns for class-index targets.
    """
    if np.isfinite(logp).all():
        terms = q * logp                                         # (*batch, C)
    else:
        with np.errstate(invalid="ignore"):
            terms = np.where(q == 0, 0.0, q * logp).astype(logp.dtype, copy=False)
    return -terms.sum(axis=-1)                                   # batch


def _check_weight(name: str, weight: Array | None, c: int, dtype: Any) -> Array | None:
    if weight is None:
        return None
    if np.shape(weight) != (c,):
        raise ValueError(f"{name}: weight has shape {np.shape(weight)}, expected ({c},) (one per "
                         "class)")
    return np.asarray(weight).astype(dtype, copy=False)


def _index_targets(name: str, x_shape: tuple, z_shape: tuple, target: Array,
                   weight: Array | None, ignore_index: int, smoothing: float,
                   dtype: Any) -> tuple[Array, float]:
    r"""Effective targets :math:`q_{n c}` for class-index targets, and the mean's denominator.

    :math:`q_{nc} = [n \text{ kept}] \big((1 - \varepsilon) w_{y_n} [c = y_n]
    + \tfrac{\varepsilon}{C} w_c\big)`, denominator :math:`\sum_{n \text{ kept}} w_{y_n}`.
    """
    batch, c = z_shape[:-1], z_shape[-1]
    if target.shape != batch:
        raise ValueError(
            f"{name}: target has shape {target.shape}, expected {batch} (class indices) for "
            f"input of shape {x_shape}"
        )
    kept = target != ignore_index                                # batch, bool
    bad = kept & ((target < 0) | (target >= c))
    if bad.any():
        index = int(target[bad].flat[0])
        raise IndexError(
            f"{name}: target class index {index} is out of range for {c} classes "
            f"(expected 0 <= index < C = {c}, or ignore_index = {ignore_index})"
        )
    safe = np.where(kept, target, 0)                             # batch
    w = np.ones(c, dtype=dtype) if weight is None else weight    # (C,)
    w_target = w[safe] * kept                                    # batch: w_{y_n}, 0 if ignored
    q = np.zeros(z_shape, dtype=dtype)                           # (*batch, C)
    np.put_along_axis(q, safe[..., None], ((1.0 - smoothing) * w_target)[..., None], axis=-1)
    if smoothing:
        q += (smoothing / c) * w * kept[..., None]
    return q, float(w_target.sum())


def _prob_targets(name: str, x_shape: tuple, target: Array, weight: Array | None,
                  smoothing: float, dtype: Any) -> tuple[Array, float]:
    r""":math:`q_{nc} = w_c ((1 - \varepsilon) t_{nc} + \varepsilon / C)`; the mean divides by
    the number of samples (PyTorch's rule for probability targets)."""
    if target.shape != x_shape:
        raise ValueError(
            f"{name}: target holds class probabilities (dtype {target.dtype}) so it must have "
            f"the input's shape {x_shape}, got {target.shape}"
        )
    t = _classes_last(name, target).astype(dtype, copy=False)    # (*batch, C)
    c = t.shape[-1]
    q = (1.0 - smoothing) * t + smoothing / c if smoothing else t
    if weight is not None:
        q = q * weight
    return q, float(t.size // c)


class CrossEntropyBlock(Block):
    r"""Cross-entropy of class scores (logits), fused with the log-softmax.

    With :math:`\log p_{n} = \operatorname{log\,softmax}(z_n)` over classes and effective
    targets :math:`q_n` (one-hot of the class index, or the given probabilities; times the class
    weights; label smoothing :math:`\varepsilon` mixes in :math:`\varepsilon / C`):

    .. math::
        L_n = -\sum_c q_{nc} \log p_{nc}, \qquad
        \frac{\partial L_n}{\partial z_{nc}} = p_{nc} \sum_k q_{nk} - q_{nc}

    (for a one-hot target this is the famous :math:`p - y`). For probability targets,
    :math:`\partial L_n / \partial t_{nc} = -(1 - \varepsilon) w_c \log p_{nc}`.

    Shapes:
        x: ``(N, C, *d)`` or ``(C,)``; target: class indices ``(N, *d)`` (or ``()``) of an
        integer dtype, or probabilities of the shape of x; weight: ``(C,)`` or None;
        y: ``()``, or ``(N, *d)`` with ``reduction='none'``.

    Numerics:
        The log-softmax is shifted by the maximum score, so logits of :math:`\pm 10^4` give
        finite losses and gradients. A masked logit (:math:`-\infty`) has
        :math:`\log p = -\infty`; its term :math:`0 \cdot (-\infty)` counts as 0 for an
        effective target :math:`q_{nc} = 0` (the limit of :math:`t \log t`-style terms), so class
        weights, spatial inputs, ``ignore_index`` and label smoothing give PyTorch's finite loss.
        Where :math:`q_{nc} > 0` the loss is :math:`+\infty`, as PyTorch's. For probability
        targets PyTorch returns NaN in that case; we return the limit (the loss of a logit of
        :math:`-10^{30}`).
    """

    @staticmethod
    def forward(x: Array, target: Array, weight: Array | None = None, *,
                reduction: str = "mean", ignore_index: int = -100,
                label_smoothing: float = 0.0) -> tuple[Array, tuple]:
        name = "cross_entropy"
        _check_reduction(name, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
        target = np.asarray(target)
        if _plain_classes(x, target, weight, label_smoothing, ignore_index):
            return _cross_entropy_plain(x, target, reduction)
        z = _classes_last(name, x)                               # (*batch, C)
        weight = _check_weight(name, weight, z.shape[-1], x.dtype)
        soft = np.issubdtype(target.dtype, np.floating)
        if soft and ignore_index != -100:
            raise ValueError(f"{name}: ignore_index={ignore_index} applies to class-index "
                             "targets, not to class probabilities (floating-point target)")
        if soft:
            q, denominator = _prob_targets(name, x.shape, target, weight, label_smoothing,
                                           x.dtype)
        elif np.issubdtype(target.dtype, np.integer):
            q, denominator = _index_targets(name, x.shape, z.shape, target, weight, ignore_index,
                                            label_smoothing, x.dtype)
        else:
            raise TypeError(f"{name}: target must hold class indices (integers) or class "
                            f"probabilities (floats), got dtype {target.dtype}")
        logp = log_softmax_array(z, -1)                          # (*batch, C)
        losses = _weighted_log_sum(q, logp)                      # batch
        y = _reduce(losses, reduction, denominator)
        scale = (1.0 - label_smoothing) if soft else None        # dL/dt needs it
        return y, (logp, q, weight, scale, reduction, denominator, x.ndim)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array | None, None]:
        if isinstance(saved[0], str):                            # the plain fast path
            return _cross_entropy_plain_backward(saved, gy), None, None
        logp, q, weight, scale, reduction, denominator, ndim = saved
        g = _reduce_backward(gy, reduction, denominator)         # batch or ()
        g = np.asarray(g)[..., None]                             # (*batch, 1)
        gz = (np.exp(logp) * q.sum(axis=-1, keepdims=True) - q) * g   # (*batch, C)
        gt = None
        if scale is not None:                                    # probability targets
            wlogp = logp if weight is None else logp * weight
            gt = _classes_back(-scale * wlogp * g, ndim)         # like x
        return _classes_back(gz, ndim), gt, None


def _plain_classes(x: Array, target: Array, weight: Any, label_smoothing: float,
                   ignore_index: int) -> bool:
    """The common case ``(N, C)`` logits and valid class indices ``(N,)``, no class weights, no
    smoothing, nothing ignored: the one-hot targets need not be built."""
    if (x.ndim != 2 or target.ndim != 1 or weight is not None or label_smoothing
            or not np.issubdtype(target.dtype, np.integer) or target.shape[0] != x.shape[0]
            or target.size == 0):
        return False
    if not (target.min() >= 0 and target.max() < x.shape[1]):
        return False                               # out of range: the general path explains
    return not (0 <= ignore_index < x.shape[1] and bool(np.any(target == ignore_index)))


def _cross_entropy_plain(x: Array, target: Array, reduction: str) -> tuple[Array, tuple]:
    r""":class:`CrossEntropyBlock` for :func:`_plain_classes`: :math:`L_n = -\log p_{n, y_n}`.

    The same numbers as the general path, which sums :math:`q_{nc} \log p_{nc}` over a one-hot
    :math:`q` (every other term is an exact zero), without building :math:`q`; backward is
    :math:`(p - \text{onehot}) g` with the one subtraction done in place."""
    rows = np.arange(x.shape[0])
    logp = log_softmax_array(x, -1)                              # (N, C)
    losses = -logp[rows, target]                                 # (N,)
    return _reduce(losses, reduction, float(x.shape[0])), ("plain", logp, target, reduction)


def _cross_entropy_plain_backward(saved: tuple, gy: Array) -> Array:
    _, logp, target, reduction = saved
    g = _reduce_backward(gy, reduction, float(logp.shape[0]))    # (N,) or ()
    gz = np.exp(logp)                                            # (N, C) softmax
    gz[np.arange(logp.shape[0]), target] -= 1.0                  # p - onehot
    gz *= np.asarray(g, dtype=gz.dtype)[..., None]               # (N, C)
    return gz


class NLLLossBlock(Block):
    r"""Negative log-likelihood of class indices, given log-probabilities.

    .. math::
        L_n = -w_{y_n} \log p_{n, y_n}, \qquad
        \frac{\partial L_n}{\partial \log p_{nc}} = -w_{y_n} [c = y_n]

    (0 for samples whose target is ``ignore_index``). ``'mean'`` divides by
    :math:`\sum_n w_{y_n}` over the kept samples.

    Shapes:
        x: ``(N, C, *d)`` or ``(C,)`` log-probabilities; target: ``(N, *d)`` (or ``()``),
        integer; weight: ``(C,)`` or None; y: ``()``, or ``(N, *d)`` with ``reduction='none'``.

    Numerics:
        Masked log-probabilities (:math:`-\infty`) of classes that are not the target contribute
        0, not :math:`0 \cdot (-\infty) = ` NaN, as in PyTorch.
    """

    @staticmethod
    def forward(x: Array, target: Array, weight: Array | None = None, *,
                reduction: str = "mean", ignore_index: int = -100) -> tuple[Array, tuple]:
        name = "nll_loss"
        _check_reduction(name, reduction)
        target = np.asarray(target)
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(f"{name}: target must hold class indices (an integer dtype), got "
                            f"dtype {target.dtype}")
        z = _classes_last(name, x)                               # (*batch, C)
        weight = _check_weight(name, weight, z.shape[-1], x.dtype)
        q, denominator = _index_targets(name, x.shape, z.shape, target, weight, ignore_index,
                                        0.0, x.dtype)
        losses = _weighted_log_sum(q, z)                         # batch
        return _reduce(losses, reduction, denominator), (q, reduction, denominator, x.ndim)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, None, None]:
        q, reduction, denominator, ndim = saved
        g = np.asarray(_reduce_backward(gy, reduction, denominator))[..., None]
        return _classes_back(-q * g, ndim), None, None


class MSELossBlock(Block):
    r"""Mean squared error.

    .. math::
        L_i = (x_i - t_i)^2, \qquad g_{x_i} = 2 (x_i - t_i)\, g_{L_i}, \qquad g_{t_i} = -g_{x_i}

    with :math:`g_{L_i} = g_y / n` for ``'mean'`` over the :math:`n` elements.

    Shapes:
        x, target: the same shape ``(*)``; y: ``()``, or ``(*)`` with ``reduction='none'``.
        The target is cast to the dtype of x (a float64 target does not upcast a float32 x).
    """

    @staticmethod
    def forward(x: Array, target: Array, *, reduction: str = "mean") -> tuple[Array, tuple]:
        _check_reduction("mse_loss", reduction)
        target = np.asarray(target).astype(x.dtype, copy=False)     # no silent upcast of x
        if target.shape != x.shape:
            raise ValueError(
                f"mse_loss: target has shape {target.shape}, expected the input's shape "
                f"{x.shape} (broadcasting them is almost always a bug)"
            )
        diff = x - target                                        # (*)
        return _reduce(diff * diff, reduction, float(diff.size)), (diff, reduction)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array]:
        diff, reduction = saved
        gx = 2.0 * diff * _reduce_backward(gy, reduction, float(diff.size))   # (*)
        return gx, -gx


class BCEWithLogitsBlock(Block):
    r"""Binary cross-entropy on logits :math:`x` with targets :math:`t \in [0, 1]`, optional
    ``weight`` :math:`w` and positive-class weight :math:`p` (``pos_weight``).

    .. math::
        L = -w \big(p\, t \log\sigma(x) + (1 - t) \log(1 - \sigma(x))\big)
          = w \big((1 - t)\, x + l\, \operatorname{softplus}(-x)\big), \quad l = 1 + (p - 1) t

    using :math:`-\log\sigma(x) = \operatorname{softplus}(-x)` and
    :math:`-\log(1 - \sigma(x)) = x + \operatorname{softplus}(-x)`. Then

    .. math::
        g_x = w \big((1 - t) - l\,\sigma(-x)\big) g_L, \qquad
        g_t = w \big(-x + (p - 1) \operatorname{softplus}(-x)\big) g_L

    Shapes:
        x, target: ``(*)``; weight: broadcastable to x; pos_weight: broadcastable to x (one per
        class on the last axis); y: ``()``, or ``(*)`` with ``reduction='none'``. The target
        and weights are cast to the dtype of x.

    Numerics:
        :math:`\operatorname{softplus}(-x) = \max(-x, 0) + \log(1 + e^{-|x|})`: no overflow, and
        logits of :math:`\pm 10^4` give exact losses.
    """

    @staticmethod
    def forward(x: Array, target: Array, weight: Array | None = None,
                pos_weight: Array | None = None, *,
                reduction: str = "mean") -> tuple[Array, tuple]:
        name = "binary_cross_entropy_with_logits"
        _check_reduction(name, reduction)
        target = np.asarray(target).astype(x.dtype, copy=False)     # no silent upcast of x
        if target.shape != x.shape:
            raise ValueError(f"{name}: target has shape {target.shape}, expected the input's "
                             f"shape {x.shape}")
        for what, a in (("weight", weight), ("pos_weight", pos_weight)):
            if a is not None and np.broadcast_shapes(np.shape(a), x.shape) != x.shape:
                raise ValueError(f"{name}: {what} of shape {np.shape(a)} does not broadcast "
                                 f"to the input's shape {x.shape}")
        weight = None if weight is None else np.asarray(weight).astype(x.dtype, copy=False)
        if pos_weight is not None:
            pos_weight = np.asarray(pos_weight).astype(x.dtype, copy=False)
        sp = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))   # (*) softplus(-x)
        lw = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * target   # (*)
        losses = (1.0 - target) * x + lw * sp                    # (*)
        if weight is not None:
            losses = losses * weight
        saved = (x, target, weight, pos_weight, sp, lw, reduction)
        return _reduce(losses, reduction, float(x.size)), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array, None, None]:
        x, target, weight, pos_weight, sp, lw, reduction = saved
        g = _reduce_backward(gy, reduction, float(x.size))       # () or (*)
        if weight is not None:
            g = g * weight
        sig_neg, _ = SigmoidBlock.forward(-x)                         # (*) sigma(-x)
        gx = ((1.0 - target) - lw * sig_neg) * g                 # (*)
        dt = -x if pos_weight is None else -x + (pos_weight - 1.0) * sp
        return gx, dt * g, None, None


# ---------------------------------------------------------------------- Tensor-level wrappers


def cross_entropy(x: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``x`` (class axis 1) and ``target`` (:class:`CrossEntropyBlock`).

    >>> import nnblocks as nb
    >>> loss = cross_entropy(nb.tensor([[0.0, 0.0]]), np.array([1]))
    >>> round(loss.item(), 6)  # log 2
    0.693147
    """
    return CrossEntropyBlock.apply(x, target, weight, reduction=reduction,
                                   ignore_index=ignore_index, label_smoothing=label_smoothing)


def nll_loss(x: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``x`` (:class:`NLLLossBlock`)."""
    return NLLLossBlock.apply(x, target, weight, reduction=reduction, ignore_index=ignore_index)


def mse_loss(x: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (:class:`MSELossBlock`); ``target`` must have the shape of ``x``."""
    return MSELossBlock.apply(x, target, reduction=reduction)


def binary_cross_entropy_with_logits(x: Any, target: Any, weight: Any = None, *,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy on logits (:class:`BCEWithLogitsBlock`)."""
    return BCEWithLogitsBlock.apply(x, target, weight, pos_weight, reduction=reduction)
