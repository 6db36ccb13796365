"""Block cases for convolution (Conv1d, Conv2d) and the Sobel preset."""

from __future__ import annotations

import warnings

import numpy as np

import nnblocks as nb
from nnblocks.functional.conv import Conv1dBlock, Conv2dBlock, conv1d, conv2d, sobel
from nnblocks.functional.conv_transpose import (
    ConvTranspose2dBlock,
    conv_transpose1d,
    conv_transpose2d,
)
from tests.cases import Case
from tests.references.conv_loops import conv2d_loop, sobel_loop


def _inputs(x_shape: tuple, w_shape: tuple, bias: bool = True):
    def make(rng: np.random.Generator) -> list:
        out = [nb.tensor(rng.standard_normal(x_shape), requires_grad=True),
               nb.tensor(rng.standard_normal(w_shape), requires_grad=True)]
        if bias:
            out.append(nb.tensor(rng.standard_normal(w_shape[0]), requires_grad=True))
        return out

    return make


def _torch_f():
    import torch

    return torch.nn.functional


def _torch_conv(name: str, **hyper):
    """``torch.nn.functional.<name>`` with ``hyper``, quiet about its 'same'-padding copy."""
    def fn(*a):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Using padding='same'")
            return getattr(_torch_f(), name)(*a, **hyper)

    return fn


def _conv2d_case(name, x_shape, w_shape, bias=True, pads=None, **hyper) -> Case:
    """A Conv2d case: PyTorch parity, and the naive loop when ``pads`` (t, b, l, r) is given."""
    reference = None
    if pads is not None:
        def reference(x, w, b=None):
            return conv2d_loop(x, w, b, _pair(hyper.get("stride", 1)), pads,
                               _pair(hyper.get("dilation", 1)), hyper.get("groups", 1))
    return Case(Conv2dBlock, name, lambda *a: conv2d(*a, **hyper), _inputs(x_shape, w_shape, bias),
                reference=reference, torch_fn=_torch_conv("conv2d", **hyper))


def _transposed_inputs(x_shape: tuple, w_shape: tuple, groups: int = 1, bias: bool = True):
    """x ``(N, C_in, ...)``, W ``(C_in, C_out/groups, ...)``, b ``(C_out,)``."""
    def make(rng: np.random.Generator) -> list:
        out = [nb.tensor(rng.standard_normal(x_shape), requires_grad=True),
               nb.tensor(rng.standard_normal(w_shape), requires_grad=True)]
        if bias:
            out.append(nb.tensor(rng.standard_normal(w_shape[1] * groups), requires_grad=True))
        return out

    return make


def _transpose_case(name, x_shape, w_shape, bias=True, **hyper) -> Case:
    fn = conv_transpose2d if len(w_shape) == 4 else conv_transpose1d
    return Case(ConvTranspose2dBlock, name, lambda *a: fn(*a, **hyper),
                _transposed_inputs(x_shape, w_shape, hyper.get("groups", 1), bias),
                torch_fn=_torch_conv(fn.__name__, **hyper))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _sobel_reference(x):
    return np.stack([sobel_loop(image) for image in x[:, 0]])


CASES = [
    _conv2d_case("conv2d_pad1", (2, 3, 6, 7), (4, 3, 3, 2), padding=1, pads=(1, 1, 1, 1)),
    _conv2d_case("conv2d_stride_dilation_groups", (2, 4, 7, 8), (6, 2, 3, 3),
                 stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, pads=(1, 1, 2, 2)),
    _conv2d_case("conv2d_same_even_kernel_no_bias", (1, 2, 5, 6), (3, 2, 2, 4), bias=False,
                 padding="same", dilation=(2, 1), pads=(1, 1, 1, 2)),
    _conv2d_case("conv2d_valid_stride3_batch1", (1, 3, 8, 7), (2, 3, 2, 3), stride=3,
                 padding="valid", pads=(0, 0, 0, 0)),
    _conv2d_case("conv2d_unbatched", (2, 5, 5), (3, 2, 3, 3), stride=2),
    _conv2d_case("conv2d_depthwise_1x1", (2, 3, 4, 5), (3, 1, 1, 1), groups=3),
    Case(Conv1dBlock, "conv1d_stride_pad", lambda *a: conv1d(*a, stride=2, padding=1),
         _inputs((2, 3, 9), (4, 3, 3)),
         torch_fn=_torch_conv("conv1d", stride=2, padding=1)),
    Case(Conv1dBlock, "conv1d_same_dilation_groups",
         lambda *a: conv1d(*a, padding="same", dilation=2, groups=2),
         _inputs((2, 4, 8), (4, 2, 4), bias=False),
         torch_fn=_torch_conv("conv1d", padding="same", dilation=2, groups=2)),
    Case(Conv1dBlock, "conv1d_unbatched", lambda *a: conv1d(*a, stride=3),
         _inputs((2, 10), (3, 2, 2)),
         torch_fn=_torch_conv("conv1d", stride=3)),
    Case(Conv2dBlock, "sobel_preset", sobel,
         lambda rng: [nb.tensor(rng.standard_normal((2, 1, 5, 6)), requires_grad=True)],
         reference=_sobel_reference,
         note="sobel is a fixed Conv2d: the reference is a double loop over pixels"),
    _transpose_case("conv_transpose2d_stride_pad_output_padding_groups", (2, 4, 3, 4),
                    (4, 3, 3, 3), stride=2, padding=1, output_padding=1, groups=2),
    _transpose_case("conv_transpose2d_dilation_rect_no_bias", (1, 3, 4, 3), (3, 2, 2, 3),
                    bias=False, stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
    _transpose_case("conv_transpose2d_unbatched", (2, 3, 3), (2, 3, 4, 4), stride=2),
    _transpose_case("conv_transpose1d_stride_output_padding", (2, 3, 5), (3, 2, 4), stride=3,
                    padding=1, output_padding=2),
]

