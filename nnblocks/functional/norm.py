r"""Normalization blocks: batch, group and layer normalization, each with a fused backward.

All three standardize a set of values and then scale and shift them per channel (or per
feature). They differ only in **which values share a mean and variance** (Wu & He 2018, fig. 2):

- BatchNorm: per channel, over the batch and spatial axes ``(N, *)``;
- GroupNorm: per sample and group of channels, over ``(C / G, *)``;
- LayerNorm: per sample, over the trailing ``normalized_shape`` axes.

The common backward. Over a set :math:`S` of :math:`m` values with mean :math:`\mu`, biased
variance :math:`\sigma^2` and :math:`r = (\sigma^2 + \epsilon)^{-1/2}`, let
:math:`\hat x_i = (x_i - \mu) r` and let :math:`g_{\hat x}` be the gradient reaching
:math:`\hat x` (:math:`g_y \gamma`). Since :math:`\partial\mu/\partial x_i = 1/m` and
:math:`\partial\sigma^2/\partial x_i = 2 (x_i - \mu)/m`,

.. math::
    g_{x_i} = r \Big( g_{\hat x_i} - \frac1m \sum_{j \in S} g_{\hat x_j}
              - \hat x_i \frac1m \sum_{j \in S} g_{\hat x_j} \hat x_j \Big)

— the gradient of the raw standardization minus its projection on the two directions
(constant shift, and scaling along :math:`\hat x`) to which the output is invariant.
Derivation: :math:`g_{x_i} = r g_{\hat x_i} + \frac1m g_\mu + \frac{2(x_i - \mu)}{m} g_{\sigma^2}`
with :math:`g_\mu = -r \sum_j g_{\hat x_j}` (the term through :math:`\sigma^2` vanishes as
:math:`\sum_j (x_j - \mu) = 0`) and
:math:`g_{\sigma^2} = -\tfrac12 r^3 \sum_j g_{\hat x_j} (x_j - \mu)`; substituting
:math:`x_j - \mu = \hat x_j / r` gives the formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.core.version import bump
from nnblocks.kernels import norm as kernel_norm
from nnblocks.kernels import norm_eval as kernel_norm_eval
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray


def standardize(x: Array, axes: tuple[int, ...], eps: float) -> tuple[Array, Array, Array, Array]:
    r""":math:`(\hat x, r, \mu, \sigma^2)` over ``axes`` (kept as size 1), biased variance."""
    mean = x.mean(axis=axes, keepdims=True)                      # reduced to 1 on axes
    centered = x - mean                                          # x.shape
    var = (centered * centered).mean(axis=axes, keepdims=True)   # like mean
    r = 1.0 / np.sqrt(var + eps)                                 # like mean
    return centered * r, r, mean, var


def standardize_backward(gxhat: Array, xhat: Array, r: Array, axes: tuple[int, ...]) -> Array:
    r""":math:`g_x = r (g_{\hat x} - \overline{g_{\hat x}}
    - \hat x\, \overline{g_{\hat x} \hat x})`, means over ``axes`` (derived in the module
    docstring)."""
    mean_g = gxhat.mean(axis=axes, keepdims=True)
    mean_gx = (gxhat * xhat).mean(axis=axes, keepdims=True)
    return r * (gxhat - mean_g - xhat * mean_gx)                 # x.shape


def _channel_shape(x: Array) -> tuple[int, ...]:
    """``(1, C, 1, ..., 1)``: per-channel arrays broadcast against ``(N, C, *)``."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check_channels(name: str, x: Array, arrays: dict[str, Array | None]) -> None:
    if x.ndim < 2:
        raise ValueError(f"{name}: input must be (N, C, *), got shape {x.shape}")
    for what, a in arrays.items():
        if a is not None and np.shape(a) != (x.shape[1],):
            raise ValueError(
                f"{name}: input has {x.shape[1]} channels (shape {x.shape}), "
                f"but {what} has shape {np.shape(a)}"
            )


def _affine(xhat: Array, weight: Array | None, bias: Array | None, shape: tuple) -> Array:
    y = xhat if weight is None else xhat * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _affine_grads(gy: Array, xhat: Array, weight: Array | None, bias: Array | None,
                  axes: tuple[int, ...], shape: tuple) -> tuple[Array, Array | None, Array | None]:
    """:math:`g_{\\hat x} = g_y \\gamma`, :math:`g_\\gamma = \\sum g_y \\hat x`,
    :math:`g_\\beta = \\sum g_y` over ``axes`` (all axes but the parameters')."""
    gxhat = gy if weight is None else gy * weight.reshape(shape)
    gw = None if weight is None else (gy * xhat).sum(axis=axes).reshape(weight.shape)
    gb = None if bias is None else gy.sum(axis=axes).reshape(bias.shape)
    return gxhat, gw, gb


class BatchNormBlock(Block):
    r"""Batch normalization (Ioffe & Szegedy 2015) with the statistics of the batch.

    Per channel :math:`c`, over the :math:`m = N \prod *` values of the batch and spatial axes:

    .. math::
        \mu_c = \frac1m \sum x, \quad \sigma_c^2 = \frac1m \sum (x - \mu_c)^2, \quad
        \hat x = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}, \quad
        y = \gamma_c \hat x + \beta_c

    Outputs ``(y, mean, var)``: the batch mean and **biased** variance are outputs too, so the
    module can update its running statistics without recomputing them. Backward, with
    :math:`g_{\hat x} = g_y \gamma_c` and :math:`r = (\sigma_c^2 + \epsilon)^{-1/2}` (the module
    docstring derives the first term; the last two are the gradients that arrive through the
    ``mean`` and ``var`` outputs, zero when they are not used):

    .. math::
        g_x = r \big(g_{\hat x} - \overline{g_{\hat x}} - \hat x\,\overline{g_{\hat x}\hat x}\big)
              + \frac{g_\mu}{m} + \frac{2 (x - \mu)}{m} g_{\sigma^2}, \qquad
        g_\gamma = \sum g_y \hat x, \qquad g_\beta = \sum g_y

    Shapes:
        x: ``(N, C, *)``; weight, bias: ``(C,)`` or None; y: like x; mean, var: ``(C,)``.
    """

    compiled_twin = Twin(kernel_norm.supported)                  # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, weight: Array | None = None, bias: Array | None = None, *,
                eps: float = 1e-5) -> tuple[tuple[Array, Array, Array], tuple]:
        _check_channels("batch_norm", x, {"weight": weight, "bias": bias})
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.size // x.shape[1]
        if m < 2:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}"
            )
        shape = _channel_shape(x)
        if use_compiled(BatchNormBlock, x, weight, bias):
            # the same formulas in three compiled passes (sums in float64)
            y, xhat, mean, var, r = kernel_norm.batch_norm_forward(x, weight, bias, float(eps))
            saved = (xhat, r.reshape(shape), weight, bias, axes, shape, m, True)
            return (y, mean, var), saved
        xhat, r, mean, var = standardize(x, axes, float(eps))   # x.shape; (1, C, 1...)
        y = _affine(xhat, weight, bias, shape)                   # x.shape
        saved = (xhat, r, weight, bias, axes, shape, m, False)
        return (y, mean.reshape(-1), var.reshape(-1)), saved

    @staticmethod
    def backward(saved: tuple, gy: tuple[Array, Array, Array]) -> tuple:
        xhat, r, weight, bias, axes, shape, m, compiled = saved
        g, gmean, gvar = gy
        if compiled and kernel_norm.supported(g, xhat, weight):
            gx, gw, gb = kernel_norm.batch_norm_backward(g, xhat, r, weight)   # two passes
            gw = None if weight is None else gw
            gb = None if bias is None else gb
        else:
            gxhat, gw, gb = _affine_grads(g, xhat, weight, bias, axes, shape)
            gx = standardize_backward(gxhat, xhat, r, axes)      # x.shape
        if np.any(gmean):
            gx = gx + gmean.reshape(shape) / m
        if np.any(gvar):
            gx = gx + xhat * ((2.0 / m) * gvar.reshape(shape) / r)   # 2 (x - mu) / m g_var
        return gx, gw, gb


class BatchNormEvalBlock(Block):
    r"""Batch normalization with fixed statistics (the running averages, in evaluation).

    .. math::
        y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c, \qquad
        g_x = g_y \gamma_c r_c, \qquad g_\gamma = \sum g_y \hat x, \qquad g_\beta = \sum g_y

    with :math:`r_c = (\sigma_c^2 + \epsilon)^{-1/2}`: a per-channel affine map. The statistics
    are constants (buffers), so they get no gradient.

    Shapes:
        x: ``(N, C, *)``; running_mean, running_var, weight, bias: ``(C,)`` (weight and bias
        may be None); y: like x.
    """

    compiled_twin = Twin(kernel_norm_eval.supported)            # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, running_mean: Array, running_var: Array,
                weight: Array | None = None, bias: Array | None = None, *,
                eps: float = 1e-5) -> tuple[Array, tuple]:
        _check_channels("batch_norm", x, {"running_mean": running_mean,
                                          "running_var": running_var,
                                          "weight": weight, "bias": bias})
        shape = _channel_shape(x)
        r = (1.0 / np.sqrt(running_var + float(eps))).astype(x.dtype, copy=False)   # (C,)
        mean = running_mean.astype(x.dtype, copy=False)                           # (C,)
        if use_compiled(BatchNormEvalBlock, x, weight, bias):
            # the same four operations per element in one compiled pass (bit-identical y);
            # x̂ is recomputed by backward, which inference never runs
            y = kernel_norm_eval.batch_norm_eval(x, mean, r, weight, bias)
            return y, (None, r.reshape(shape), weight, bias, shape, x, mean)
        xhat = (x - mean.reshape(shape)) * r.reshape(shape)      # x.shape
        y = _affine(xhat, weight, bias, shape)                   # x.shape
        return y, (xhat, r.reshape(shape), weight, bias, shape, None, None)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple:
        xhat, r, weight, bias, shape, x, mean = saved
        if xhat is None:                                         # the compiled forward ran
            xhat = (x - mean.reshape(shape)) * r                 # x.shape, as forward
        axes = (0,) + tuple(range(2, gy.ndim))
        gxhat, gw, gb = _affine_grads(gy, xhat, weight, bias, axes, shape)
        return gxhat * r, None, None, gw, gb


class GroupNormBlock(Block):
    r"""Group normalization (Wu & He 2018): channels split into ``G`` groups, each sample's
    group standardized over its :math:`m = (C/G) \prod *` values, then a per-channel affine.

    As the paper's code (``x.reshape(N, G, C // G, H, W)``; moments over the last three axes)::

        x̂ = standardize(x.reshape(N, G, m)) over the last axis;  y = γ_c x̂ + β_c

    Backward: the common standardization backward (module docstring) on the ``(N, G, m)`` view,
    with :math:`g_{\hat x} = g_y \gamma_c`; :math:`g_\gamma = \sum_{n, *} g_y \hat x`,
    :math:`g_\beta = \sum_{n, *} g_y`.

    Shapes:
        x: ``(N, C, *)`` with C divisible by G; weight, bias: ``(C,)`` or None; y: like x.
    """

    @staticmethod
    def forward(x: Array, weight: Array | None = None, bias: Array | None = None, *,
                num_groups: int, eps: float = 1e-5) -> tuple[Array, tuple]:
        _check_channels("group_norm", x, {"weight": weight, "bias": bias})
        n, c = x.shape[:2]
        if num_groups < 1 or c % num_groups:
            raise ValueError(
                f"group_norm: input has {c} channels (shape {x.shape}), which is not "
                f"divisible by num_groups={num_groups}"
            )
        grouped = x.reshape(n, num_groups, -1)                   # (N, G, m)
        xhat, r, _, _ = standardize(grouped, (2,), float(eps))   # (N, G, m); (N, G, 1)
        xhat = xhat.reshape(x.shape)                             # (N, C, *)
        shape = _channel_shape(x)
        y = _affine(xhat, weight, bias, shape)                   # (N, C, *)
        return y, (xhat, r, weight, bias, shape, num_groups)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple:
        xhat, r, weight, bias, shape, groups = saved
        axes = (0,) + tuple(range(2, gy.ndim))
        gxhat, gw, gb = _affine_grads(gy, xhat, weight, bias, axes, shape)
        n = gy.shape[0]
        gx = standardize_backward(gxhat.reshape(n, groups, -1), xhat.reshape(n, groups, -1),
                                  r, (2,))                       # (N, G, m)
        return gx.reshape(gy.shape), gw, gb


class LayerNormBlock(Block):
    r"""Layer normalization (Ba et al. 2016): each sample standardized over its trailing
    ``normalized_shape`` axes, then an element-wise affine of that shape.

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat x + \beta

    Backward: the common standardization backward (module docstring) over the normalized axes;
    :math:`g_\gamma = \sum_{*} g_y \hat x`, :math:`g_\beta = \sum_{*} g_y` over the leading axes.

    Shapes:
        x: ``(*, *S)`` with ``S = normalized_shape``; weight, bias: ``S`` or None; y: like x.
    """

    @staticmethod
    def forward(x: Array, weight: Array | None = None, bias: Array | None = None, *,
                normalized_shape: tuple[int, ...], eps: float = 1e-5) -> tuple[Array, tuple]:
        normalized_shape = tuple(normalized_shape)
        k = len(normalized_shape)
        if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
            raise ValueError(
                f"layer_norm: input of shape {x.shape} does not end with normalized_shape "
                f"{normalized_shape}"
            )
        for what, a in (("weight", weight), ("bias", bias)):
            if a is not None and np.shape(a) != normalized_shape:
                raise ValueError(
                    f"layer_norm: {what} has shape {np.shape(a)}, expected {normalized_shape}"
                )
        axes = tuple(range(x.ndim - k, x.ndim))
        xhat, r, _, _ = standardize(x, axes, float(eps))         # x.shape; (*, 1...)
        y = xhat if weight is None else xhat * weight            # x.shape
        y = y if bias is None else y + bias
        return y, (xhat, r, weight, bias, axes)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple:
        xhat, r, weight, bias, axes = saved
        lead = tuple(range(gy.ndim - len(axes)))
        gxhat = gy if weight is None else gy * weight
        gw = None if weight is None else (gy * xhat).sum(axis=lead)
        gb = None if bias is None else gy.sum(axis=lead)
        return standardize_backward(gxhat, xhat, r, axes), gw, gb


# ---------------------------------------------------------------------- Tensor-level wrappers


def update_running_stats(running_mean: Array | None, running_var: Array | None, mean: Array,
                         var: Array, m: int, momentum: float) -> None:
    r"""Exponential moving averages, in place: :math:`\hat\mu \leftarrow (1 - a)\hat\mu + a\mu`
    and the running variance with the **unbiased** batch variance :math:`\sigma^2 m / (m - 1)`
    (``m`` values per channel), as PyTorch's batch norm."""
    momentum = float(momentum)
    for running, value, scale in ((running_mean, mean, momentum),
                                  (running_var, var, momentum * m / (m - 1))):
        if running is None:
            continue
        array = getattr(running, "array", running)        # a tensor buffer or an array
        array *= 1.0 - momentum
        array += scale * value
        if isinstance(running, Tensor):
            bump(running)                                 # an in-place change, as PyTorch's


def batch_norm(
    x: Any,
    running_mean: Array | None,
    running_var: Array | None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalization, PyTorch's ``F.batch_norm``.

    In training, normalizes with the batch statistics (:class:`BatchNormBlock`) and, when running
    statistics are given, updates them **in place**:
    :math:`\hat\mu \leftarrow (1 - \text{momentum})\,\hat\mu + \text{momentum}\;\mu_B` and
    likewise the running variance with the **unbiased** batch variance
    :math:`\sigma_B^2\, m / (m - 1)`. Otherwise normalizes with the running statistics
    (:class:`BatchNormEvalBlock`).
    """
    if training:
        y, mean, var = BatchNormBlock.apply(x, weight, bias, eps=eps)
        if running_mean is not None or running_var is not None:
            data = getattr(x, "array", x)
            update_running_stats(running_mean, running_var, mean.array, var.array,
                                 data.size // data.shape[1], momentum)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    return BatchNormEvalBlock.apply(x, running_mean, running_var, weight, bias, eps=eps)


def group_norm(x: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalization (:class:`GroupNormBlock`), PyTorch's argument order."""
    return GroupNormBlock.apply(x, weight, bias, num_groups=num_groups, eps=eps)


def layer_norm(x: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` axes (:class:`LayerNormBlock`)."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    return LayerNormBlock.apply(x, weight, bias, normalized_shape=tuple(normalized_shape), eps=eps)
