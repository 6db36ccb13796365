"""F.pad / F.interpolate / nn padding and upsampling layers: refusals in PyTorch's terms, the
layers against torch.nn, float32 behaviour. Values and gradients: tests/cases/resample.py."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.nn as nn
import nnblocks.nn.functional as F


def test_pad_refusals_match_torch(torch):
    x = np.zeros((1, 2, 3))
    for kwargs in (dict(pad=(3, 0), mode="reflect"), dict(pad=(1,), mode="replicate"),
                   dict(pad=(1, 1, 1, 1, 1, 1, 1, 1), mode="circular"),
                   dict(pad=(1, 1), mode="wrap")):
        with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
            torch.nn.functional.pad(torch.from_numpy(x), **kwargs)
        with pytest.raises(ValueError, match="pad: "):
            F.pad(nb.tensor(x), **kwargs)
    with pytest.raises(ValueError, match="expects a 2-D or 3-D input"):
        F.pad(nb.tensor(np.zeros((1, 1, 2, 3))), (1, 1), mode="reflect")
    y = F.pad(nb.tensor(x, dtype=nb.float32), (1, 2), value=3.0)          # constant default
    assert y.shape == (1, 2, 6) and y.dtype == np.float32 and float(y.array[0, 0, 0]) == 3.0


def test_interpolate_refusals():
    x = nb.tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="'bilinear' needs a 4-D"):
        F.interpolate(nb.tensor(np.zeros((1, 1, 4))), size=3, mode="bilinear")
    with pytest.raises(ValueError, match="'bicubic' is not supported"):
        F.interpolate(x, size=3, mode="bicubic")


@pytest.mark.parametrize("make", [
    lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)), lambda nn: nn.ReplicationPad1d(2),
    lambda nn: nn.CircularPad2d(1), lambda nn: nn.ZeroPad2d((0, 1, 2, 3)),
    lambda nn: nn.ConstantPad2d(1, -2.5), lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=(5, 3), mode="bilinear", align_corners=False),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    lambda nn: nn.UpsamplingBilinear2d(size=(6, 6)),
])
def test_layers_match_torch_in_float32(torch, make, rng):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    if "1d" in repr(make(nn)):
        x = x[:, :, 0]
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    t = torch.from_numpy(x).requires_grad_(True)
    y = ours(nb.tensor(x, requires_grad=True))
    ty = theirs(t)
    assert y.dtype == np.float32 and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-6, atol=1e-6)
