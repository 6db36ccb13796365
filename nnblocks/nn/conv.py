"""Convolutional layers ``Conv1d``, ``Conv2d`` and the fixed ``sobel`` edge filter."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.conv import conv1d, conv2d, sobel_weight
from nnblocks.functional.im2col import as_tuple
from nnblocks.functional.padding import pad
from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.naming import ModuleName
from nnblocks.nn.parameter import Parameter, parameter_dtype
from nnblocks.nn.sizes import size_argument


def conv_channels(name: str, in_channels: Any, out_channels: Any, groups: Any
                  ) -> tuple[int, int, int]:
    """Checked ``(in_channels, out_channels, groups)`` of a (transposed) convolution layer."""
    in_channels = size_argument(name, "in_channels", in_channels, minimum=0)
    out_channels = size_argument(name, "out_channels", out_channels, minimum=0)
    groups = size_argument(name, "groups", groups)
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: groups={groups} must divide both in_channels="
                         f"{in_channels} and out_channels={out_channels}")
    return int(in_channels), int(out_channels), int(groups)


def make_conv_parameters(module: Module, weight_shape: tuple[int, ...], bias: bool, dtype: Any,
                         rng: np.random.Generator | None) -> None:
    """``module.weight`` of ``weight_shape`` and ``module.bias`` (``out_channels``, or None),
    initialized by ``module.reset_parameters(rng)``."""
    dtype = parameter_dtype(dtype)
    module.weight = Parameter(np.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(np.empty(module.out_channels, dtype=dtype))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters(rng)


def reset_conv_parameters(module: Module, rng: np.random.Generator | None = None) -> None:
    """PyTorch's initialization of every convolution: ``kaiming_uniform_(a=sqrt(5))`` for the
    weight, i.e. :math:`\\mathcal U(-k, k)` with :math:`k = 1/\\sqrt{\text{fan\\_in}}`,
    :math:`\text{fan\\_in} = \text{weight.shape[1]} \\prod k` (``C_in/groups`` for a
    convolution, ``C_out/groups`` for a transposed one); the bias likewise."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5), rng=rng)
    if module.bias is not None:
        fan_in = module.weight.shape[1] * math.prod(module.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(module.bias, -bound, bound, rng=rng)


def conv_repr(module: Module) -> str:
    """``extra_repr`` of a (transposed) convolution, PyTorch's: the non-default settings in
    PyTorch's order."""
    dims = len(module.kernel_size)
    s = (f"{module.in_channels}, {module.out_channels}, kernel_size={module.kernel_size}, "
         f"stride={module.stride}")
    if module.padding != (0,) * dims:
        s += f", padding={module.padding}"
    if module.dilation != (1,) * dims:
        s += f", dilation={module.dilation}"
    output_padding = getattr(module, "output_padding", (0,) * dims)
    if output_padding != (0,) * dims:
        s += f", output_padding={output_padding}"
    if module.groups != 1:
        s += f", groups={module.groups}"
    if module.bias is None:
        s += ", bias=False"
    if module.padding_mode != "zeros":
        s += f", padding_mode={module.padding_mode}"
    return s


class _ConvNd(Module):
    """Shared parameters, initialization and repr of :class:`Conv1d` and :class:`Conv2d`."""

    dims: int = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        n = self.dims
        in_channels, out_channels, groups = conv_channels(name, in_channels, out_channels, groups)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' "
                             f"or 'circular', got {padding_mode!r}")
        if padding_mode != "zeros" and isinstance(padding, str):
            raise ValueError(f"{name}: padding={padding!r} works with padding_mode='zeros' "
                             f"only here; give the padding as numbers")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", name)
        self.stride = as_tuple(stride, n, "stride", name)
        self.dilation = as_tuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'valid', 'same', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride {self.stride})")
            self.padding = padding
        else:
            self.padding = as_tuple(padding, n, "padding", name, minimum=0)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        make_conv_parameters(self, shape, bias, dtype, rng)

    reset_parameters = reset_conv_parameters

    def _hyper(self) -> dict[str, Any]:
        padding = self.padding if self.padding_mode == "zeros" else (0,) * self.dims
        return {"stride": self.stride, "padding": padding, "dilation": self.dilation,
                "groups": self.groups, "who": ModuleName(self)}

    def _padded(self, x: Tensor) -> Tensor:
        """``x`` padded by ``padding_mode`` first, as PyTorch does for modes other than
        ``'zeros'`` (the convolution then pads nothing)."""
        if self.padding_mode == "zeros":
            return x
        widths: list[int] = []
        for p in reversed(self.padding):
            widths += [p, p]
        return pad(x, widths, mode=self.padding_mode)

    extra_repr = conv_repr


class Conv2d(_ConvNd):
    r"""2-D convolution (cross-correlation) over ``(N, C, H, W)`` images, as
    ``torch.nn.Conv2d`` (:func:`nnblocks.functional.conv2d`: one GEMM over an im2col matrix).

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or ``(kH, kW)``.
        stride, dilation: int or pair. padding: int, pair, ``'valid'`` or ``'same'``
            (PyTorch's split: the extra zero of an even kernel goes at the end; not with
            stride > 1).
        groups: input and output channels split into this many independent groups.
        bias: learn a bias per output channel.
        padding_mode: ``'zeros'``, or ``'reflect'``, ``'replicate'``, ``'circular'`` (the
            input is padded by :func:`nnblocks.functional.pad` first, as PyTorch does).
        dtype: parameter dtype (default float32). rng: generator for the initialization.

    Attributes:
        weight: ``(out_channels, in_channels/groups, kH, kW)``,
            :math:`\mathcal U(-k, k)`, :math:`k = 1/\sqrt{(C_{in}/\text{groups})\, k_H k_W}`.
        bias: ``(out_channels,)``, same distribution.

    Shapes:
        x: ``(N, C_in, H, W)`` or ``(C_in, H, W)``; y: ``(N, C_out, H_o, W_o)``.

    >>> import nnblocks as nb
    >>> conv = nb.nn.Conv2d(1, 8, 3, padding=1)
    >>> conv(nb.tensor(np.zeros((2, 1, 5, 5), dtype=np.float32))).shape
    (2, 8, 5, 5)
    >>> conv
    Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    """

    dims = 2

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(self._padded(x), self.weight, self.bias, **self._hyper())


class Conv1d(_ConvNd):
    r"""1-D convolution (cross-correlation) over ``(N, C, L)`` sequences, as
    ``torch.nn.Conv1d`` (:func:`nnblocks.functional.conv1d`). Arguments as :class:`Conv2d`
    with ints (or 1-tuples).

    Attributes:
        weight: ``(out_channels, in_channels/groups, k)``,
            :math:`\mathcal U(-1/\sqrt{(C_{in}/\text{groups}) k}, 1/\sqrt{\cdots})`.
        bias: ``(out_channels,)``.

    Shapes:
        x: ``(N, C_in, L)`` or ``(C_in, L)``; y: ``(N, C_out, L_o)``.
    """

    dims = 1

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(self._padded(x), self.weight, self.bias, **self._hyper())


def sobel(in_channels: int = 1, padding: Any = 1, *, dtype: Any = None) -> Conv2d:
    r"""A fixed :class:`Conv2d` (``requires_grad=False``, no bias) computing Sobel edges.

    Output channel 0 responds to horizontal intensity change (vertical edges) with the weight
    ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]``, channel 1 to vertical change (horizontal edges)
    with its transpose; with several input channels the filter sees their mean. See
    :func:`nnblocks.functional.sobel` for the sign convention.

    >>> import nnblocks as nb
    >>> edges = nb.nn.sobel()
    >>> edges.weight.requires_grad, edges.weight.shape
    (False, (2, 1, 3, 3))
    """
    # the initial weight is overwritten: draw it from a throwaway generator, not the default one
    conv = Conv2d(in_channels, 2, 3, padding=padding, bias=False, dtype=dtype,
                  rng=np.random.default_rng(0))
    conv.weight.array[...] = sobel_weight(in_channels, conv.weight.dtype)
    conv.weight.requires_grad = False
    return conv
