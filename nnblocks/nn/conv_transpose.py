"""Transposed convolutions ``ConvTranspose1d`` and ``ConvTranspose2d`` (PyTorch's arguments,
weight layout ``(in_channels, out_channels/groups, *kernel)`` and initialization)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.conv_transpose import conv_transpose1d, conv_transpose2d
from nnblocks.functional.im2col import as_tuple
from nnblocks.nn.conv import conv_channels, conv_repr, make_conv_parameters, reset_conv_parameters
from nnblocks.nn.module import Module


class _ConvTransposeNd(Module):
    dims: int = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", *, dtype: Any = None,
                 device: Any = None, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        n = self.dims
        in_channels, out_channels, groups = conv_channels(name, in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported for transposed "
                             f"convolutions (as in PyTorch), got {padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", name)
        self.stride = as_tuple(stride, n, "stride", name)
        self.padding = as_tuple(padding, n, "padding", name, minimum=0)
        self.output_padding = as_tuple(output_padding, n, "output_padding", name, minimum=0)
        self.dilation = as_tuple(dilation, n, "dilation", name)
        if any(e >= max(s, d) for e, s, d in zip(self.output_padding, self.stride,
                                                 self.dilation)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller "
                             f"than either stride {self.stride} or dilation {self.dilation}")
        self.groups = groups
        self.padding_mode = padding_mode
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        make_conv_parameters(self, shape, bias, dtype, rng)

    reset_parameters = reset_conv_parameters      # fan_in = (C_out/groups) prod(kernel)
    extra_repr = conv_repr

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding``, or the one that gives ``output_size`` (PyTorch's ``forward``
        argument) when that is given."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-self.dims:]
        spatial = tuple(x.shape[-self.dims:])
        extra = []
        for n, want, s, p, d, k in zip(spatial, size, self.stride, self.padding, self.dilation,
                                       self.kernel_size):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(f"{type(self).__name__}: output_size {tuple(output_size)} is "
                                 f"not reachable: each size must be in [{smallest}, "
                                 f"{smallest + s - 1}] for this input")
            extra.append(want - smallest)
        return tuple(extra)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution, ``torch.nn.ConvTranspose2d`` (:class:`~nnblocks.functional.
    conv_transpose.ConvTranspose2dBlock`): input ``(N, C_in, H, W)``, output
    ``(N, C_out, (H - 1) s - 2p + d (k - 1) + output_padding + 1, ...)``."""

    dims = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution, ``torch.nn.ConvTranspose1d``: input ``(N, C_in, L)``."""

    dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)
