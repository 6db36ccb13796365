"""Pooling layers: max, average, adaptive and global pooling, 1-D and 2-D (PyTorch's API)."""

from __future__ import annotations

from typing import Any

from nnblocks.core import Tensor
from nnblocks.functional.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
)
from nnblocks.functional.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from nnblocks.nn.module import Module
from nnblocks.nn.naming import ModuleName


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def _hyper(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
                "dilation": self.dilation, "ceil_mode": self.ceil_mode,
                "return_indices": self.return_indices, "who": ModuleName(self)}

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling, as ``torch.nn.MaxPool2d`` (:func:`nnblocks.functional.max_pool2d`).

    Padding is with :math:`-\\infty` (at most half the kernel); ``stride`` defaults to the
    kernel size. The gradient of a window goes to its first maximum in row-major order.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, H_o, W_o)`` (and int64 flat indices
        with ``return_indices=True``).

    >>> import numpy as np
    >>> import nnblocks as nb
    >>> nb.nn.MaxPool2d(2)(nb.tensor(np.zeros((1, 3, 28, 28)))).shape
    (1, 3, 14, 14)
    """

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool2d(x, **self._hyper())


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling, as ``torch.nn.MaxPool1d``. Shapes: ``(N, C, L) -> (N, C, L_o)``."""

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool1d(x, **self._hyper())


class _AvgPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def _hyper(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
                "ceil_mode": self.ceil_mode, "count_include_pad": self.count_include_pad,
                "who": ModuleName(self)}

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling, as ``torch.nn.AvgPool2d`` (:func:`nnblocks.functional.avg_pool2d`).

    Zero padding counts in the divisor unless ``count_include_pad=False``;
    ``divisor_override`` replaces the divisor.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, H_o, W_o)``.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(x, divisor_override=self.divisor_override, **self._hyper())


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling, as ``torch.nn.AvgPool1d``. Shapes: ``(N, C, L) -> (N, C, L_o)``."""

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool1d(x, **self._hyper())

    def extra_repr(self) -> str:
        """PyTorch stores the 1-D sizes as 1-tuples and shows them so."""
        def one(v: Any) -> tuple:
            return tuple(v) if isinstance(v, (tuple, list)) else (v,)

        stride = self.kernel_size if self.stride is None else self.stride
        return (f"kernel_size={one(self.kernel_size)}, stride={one(stride)}, "
                f"padding={one(self.padding)}")


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average pooling to a fixed ``output_size`` (int, or pair with ``None`` = keep) from any
    input size, as ``torch.nn.AdaptiveAvgPool2d``.

    Shapes:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, *output_size)``.

    >>> import numpy as np
    >>> import nnblocks as nb
    >>> pool = nb.nn.AdaptiveAvgPool2d((2, 3))
    >>> pool(nb.tensor(np.ones((1, 4, 9, 7)))).shape
    (1, 4, 2, 3)
    """

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size, who=ModuleName(self))


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """1-D adaptive average pooling, as ``torch.nn.AdaptiveAvgPool1d``:
    ``(N, C, L) -> (N, C, output_size)``."""

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool1d(x, self.output_size, who=ModuleName(self))


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """Max pooling to a fixed ``output_size`` from any input size, as
    ``torch.nn.AdaptiveMaxPool2d``. Shapes: ``(N, C, H, W) -> (N, C, *output_size)``."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return adaptive_max_pool2d(x, self.output_size, self.return_indices, who=ModuleName(self))


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """1-D adaptive max pooling, as ``torch.nn.AdaptiveMaxPool1d``:
    ``(N, C, L) -> (N, C, output_size)``."""

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return adaptive_max_pool1d(x, self.output_size, self.return_indices, who=ModuleName(self))


class GlobalAvgPool2d(Module):
    """Mean over all positions, ``(N, C, H, W) -> (N, C)`` for any H, W: the head of a fully
    convolutional classifier (:func:`nnblocks.functional.global_avg_pool2d`)."""

    def forward(self, x: Tensor) -> Tensor:
        return global_avg_pool2d(x)


class GlobalMaxPool2d(Module):
    """Maximum over all positions, ``(N, C, H, W) -> (N, C)`` for any H, W
    (:func:`nnblocks.functional.global_max_pool2d`)."""

    def forward(self, x: Tensor) -> Tensor:
        return global_max_pool2d(x)
