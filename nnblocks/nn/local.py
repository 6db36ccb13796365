"""Locally connected layers: convolution geometry with a separate filter at every position."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.im2col import as_tuple, conv_padding, conv_window
from nnblocks.functional.local import locally_connected1d, locally_connected2d
from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.naming import ModuleName
from nnblocks.nn.parameter import Parameter, parameter_dtype
from nnblocks.nn.sizes import size_argument


class _LocallyConnectedNd(Module):
    dims: int = 2

    def __init__(self, in_channels: int, out_channels: int, input_size: Any, kernel_size: Any,
                 stride: Any = 1, padding: Any = 0, bias: bool = True, *, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        n = self.dims
        self.in_channels = size_argument(type(self).__name__, "in_channels", in_channels)
        self.out_channels = size_argument(type(self).__name__, "out_channels", out_channels)
        self.input_size = as_tuple(input_size, n, "input_size", name)
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", name)
        self.stride = as_tuple(stride, n, "stride", name)
        self.padding = padding if isinstance(padding, str) else as_tuple(
            padding, n, "padding", name, minimum=0)
        pads = conv_padding(self.padding, self.kernel_size, self.stride, (1,) * n, name)
        win = conv_window(self.input_size, self.kernel_size, self.stride, pads, (1,) * n, name)
        self.output_size = win.out_size[2 - n:]
        dtype = parameter_dtype(dtype)
        shape = (*self.output_size, self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels, *self.output_size), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Like a convolution's default: :math:`\\mathcal U(-k, k)`,
        :math:`k = 1/\\sqrt{C_{in} \\prod k}` (each position's own fan-in), weight and bias."""
        fan_in = self.in_channels * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound, rng=rng)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * self.dims:
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class LocallyConnected2d(_LocallyConnectedNd):
    r"""2-D locally connected layer: a convolution whose filters are not shared between
    positions (lecture: "Locally Connected Layer"). PyTorch has none; the layout is ours.

    Args:
        in_channels, out_channels: channels of input and output.
        input_size: ``(H, W)`` of the inputs (the number of positions, hence of filters,
            depends on it).
        kernel_size, stride: int or pair. padding: int, pair, ``'valid'`` or ``'same'``.
        bias: learn a bias per output channel **and** position.

    Attributes:
        weight: ``(H_o, W_o, out_channels, in_channels, kH, kW)``: ``weight[i, j]`` is the
            conv-shaped filter bank of output position ``(i, j)``. :math:`\mathcal U(-k, k)`,
            :math:`k = 1/\sqrt{C_{in} k_H k_W}`.
        bias: ``(out_channels, H_o, W_o)``, same distribution.

    Shapes:
        x: ``(N, C_in, H, W)`` or ``(C_in, H, W)``; y: ``(N, C_out, H_o, W_o)``.

    >>> import nnblocks as nb
    >>> layer = nb.nn.LocallyConnected2d(1, 4, input_size=8, kernel_size=3)
    >>> layer.weight.shape, layer.bias.shape
    ((6, 6, 4, 1, 3, 3), (4, 6, 6))
    """

    dims = 2

    def forward(self, x: Tensor) -> Tensor:
        return locally_connected2d(x, self.weight, self.bias, self.stride, self.padding,
                                   who=ModuleName(self))


class LocallyConnected1d(_LocallyConnectedNd):
    r"""1-D locally connected layer (unshared 1-D convolution); arguments as
    :class:`LocallyConnected2d` with ints.

    Attributes:
        weight: ``(L_o, out_channels, in_channels, k)``. bias: ``(out_channels, L_o)``.

    Shapes:
        x: ``(N, C_in, L)`` or ``(C_in, L)``; y: ``(N, C_out, L_o)``.
    """

    dims = 1

    def forward(self, x: Tensor) -> Tensor:
        return locally_connected1d(x, self.weight, self.bias, self.stride, self.padding,
                                   who=ModuleName(self))
