"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``GroupNorm``, ``LayerNorm``.

Names, arguments, parameters and buffers are PyTorch's, so their state dicts load directly
(BatchNorm: ``weight``, ``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.norm import batch_norm, group_norm, layer_norm
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype
from nnblocks.nn.sizes import size_argument


def _shape_of(x: Any) -> tuple[int, ...]:
    return np.shape(getattr(x, "array", x))


def _affine_parameters(module: Module, shape: tuple[int, ...], weight: bool, bias: bool,
                       dtype: np.dtype) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for absent ones."""
    if weight:
        module.weight = Parameter(np.ones(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if bias:
        module.bias = Parameter(np.zeros(shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _check_dtype(module: Module, x: Any) -> None:
    """The input must have the dtype of the module's parameters (or running statistics), as
    PyTorch demands: a float64 batch through a float32 layer is a mistake, not a promotion."""
    states = [p.array for p in module._parameters.values() if p is not None]
    states += [b for b in module._buffers.values() if b is not None and b.dtype.kind == "f"]
    dtype = np.asarray(getattr(x, "array", x)).dtype
    if states and dtype != states[0].dtype:
        raise TypeError(
            f"{module!r}: input has dtype {dtype} but the layer's parameters have dtype "
            f"{states[0].dtype}; cast one of them (module.double() / .float(), x.astype(...))"
        )


def _check_channels(module: Module, x: Any, expected: int) -> None:
    shape = _shape_of(x)
    if len(shape) < 2 or shape[1] != expected:
        got = shape[1] if len(shape) >= 2 else "no"
        raise ValueError(
            f"{module!r}: input has {got} channels (input shape {shape}), expected {expected} "
            "on dim 1"
        )


class _BatchNorm(Module):
    r"""Batch normalization over the channel axis 1 (Ioffe & Szegedy 2015).

    Training: normalize with the batch's mean and biased variance per channel and, if
    ``track_running_stats``, update the running estimates

    .. math::
        \hat\mu \leftarrow (1 - m)\,\hat\mu + m\,\mu_B, \qquad
        \hat\sigma^2 \leftarrow (1 - m)\,\hat\sigma^2 + m\,\tfrac{n}{n - 1}\sigma_B^2

    with ``momentum`` :math:`m` (``momentum=None``: the cumulative average,
    :math:`m = 1 / \text{num\_batches\_tracked}`) and the **unbiased** batch variance.
    Evaluation: normalize with the running estimates (or with the batch statistics when
    ``track_running_stats=False``). Then :math:`y = \gamma \hat x + \beta` when ``affine``.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability.
        momentum: weight of the new batch in the running averages, or None.
        affine: learn ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros).
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked`` (int64) buffers.
        bias: with ``affine``, learn ``bias`` too (keyword-only, as in PyTorch 2.13).
        dtype: parameter and buffer dtype (default float32).
    """

    _expected_dims: tuple[int, ...] = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_features = size_argument(type(self).__name__, "num_features", num_features,
                                          minimum=0)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = parameter_dtype(dtype)
        _affine_parameters(self, (self.num_features,), affine, affine and bias, dtype)
        if track_running_stats:
            # tensors, as PyTorch's buffers (bn.running_mean.zero_(), .clone() ...)
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def _check_input(self, x: Tensor) -> None:
        """``ValueError``/``TypeError`` naming this layer unless x has its rank, channels and a
        floating dtype."""
        shape = _shape_of(x)
        if len(shape) not in self._expected_dims:
            raise ValueError(f"{self!r}: expected input of shape {self._layout}, got {shape}")
        _check_channels(self, x, self.num_features)
        _check_dtype(self, x)

    def _step_momentum(self) -> float:
        """The momentum of this call's running-statistics update (a cumulative average when
        ``momentum`` is None); counts the batch in ``num_batches_tracked`` when training."""
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        return momentum

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        momentum = self._step_momentum()
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__ + """
    Shapes:
        x: ``(N, C)`` or ``(N, C, L)``; y: like x. Statistics over N (and L).

    >>> import nnblocks as nb
    >>> nb.nn.BatchNorm1d(16)
    BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """
    _expected_dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__ + """
    Shapes:
        x: ``(N, C, H, W)``; y: like x. Statistics over N, H and W.
    """
    _expected_dims = (4,)
    _layout = "(N, C, H, W)"


class GroupNorm(Module):
    r"""Group normalization (Wu & He 2018): per sample, the C channels in ``num_groups`` groups,
    each group standardized over its channels and spatial positions; then a per-channel affine
    (:func:`nnblocks.functional.group_norm`). Independent of the batch size; ``num_groups=1``
    is LayerNorm over ``(C, *)``, ``num_groups=C`` is InstanceNorm.

    Args:
        num_groups: G; must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros).
        bias: with ``affine``, learn ``bias`` too (keyword-only, as in PyTorch 2.13).

    Shapes:
        x: ``(N, C, *)``; y: like x.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        num_groups = size_argument("GroupNorm", "num_groups", num_groups)
        num_channels = size_argument("GroupNorm", "num_channels", num_channels, minimum=0)
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, (self.num_channels,), affine, affine and bias,
                           parameter_dtype(dtype))

    def forward(self, x: Tensor) -> Tensor:
        _check_channels(self, x, self.num_channels)
        _check_dtype(self, x)
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LayerNorm(Module):
    r"""Layer normalization (Ba et al. 2016) over the trailing ``normalized_shape`` axes, with an
    element-wise affine of that shape (:func:`nnblocks.functional.layer_norm`).

    Args:
        normalized_shape: an int or tuple: the shape of the trailing axes to normalize.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (ones) and, if ``bias``, ``bias`` (zeros).

    Shapes:
        x: ``(*, *normalized_shape)``; y: like x.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine,
                           elementwise_affine and bias, parameter_dtype(dtype))

    def forward(self, x: Tensor) -> Tensor:
        shape = _shape_of(x)
        k = len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k:] != self.normalized_shape:
            raise ValueError(
                f"{self!r}: input of shape {shape} does not end with normalized_shape "
                f"{self.normalized_shape}"
            )
        _check_dtype(self, x)
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
