"""nn.ConvTranspose1d / ConvTranspose2d against PyTorch: outputs, input and parameter
gradients, repr and initialization bounds over random settings; output_size; clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
from nnblocks import nn
from tests.conftest import import_torch
from tests.nn.parity import assert_module_parity


@settings(max_examples=25, deadline=None, derandomize=True)
@given(dims=st.sampled_from([1, 2]), groups=st.sampled_from([1, 2]), k=st.integers(1, 4),
       stride=st.integers(1, 3), dilation=st.integers(1, 2), padding=st.integers(0, 2),
       bias=st.booleans(), size=st.integers(2, 5), extra=st.integers(0, 2))
def test_matches_torch(dims, groups, k, stride, dilation, padding, bias, size, extra) -> None:
    torch = import_torch()
    extra = min(extra, max(stride, dilation) - 1)
    if (size - 1) * stride - 2 * padding + dilation * (k - 1) + extra + 1 <= 0:
        return
    ours_cls, theirs_cls = ((nn.ConvTranspose1d, torch.nn.ConvTranspose1d) if dims == 1 else
                            (nn.ConvTranspose2d, torch.nn.ConvTranspose2d))
    args = (2 * groups, 3 * groups, k)
    hyper = dict(stride=stride, padding=padding, output_padding=extra, groups=groups,
                 bias=bias, dilation=dilation)
    ours, theirs = ours_cls(*args, **hyper), theirs_cls(*args, **hyper)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(k).standard_normal((2, 2 * groups) + (size,) * dims)
    assert_module_parity(ours, theirs, x)


def test_initialization_bound_and_output_size_as_torch() -> None:
    torch = import_torch()
    layer = nn.ConvTranspose2d(4, 6, 3, groups=2)
    bound = 1 / np.sqrt(3 * 9)                           # fan_in = out/groups * k * k
    assert np.abs(layer.weight.array).max() <= bound and layer.weight.shape == (4, 3, 3, 3)
    theirs = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    ours = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    for size in ((7, 7), (8, 8), (7, 8)):
        assert ours(nb.zeros(1, 4, 4, 4), output_size=size).shape == \
            tuple(theirs(torch.zeros(1, 4, 4, 4), output_size=size).shape)
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable"):
        ours(nb.zeros(1, 4, 4, 4), output_size=(9, 9))


def test_errors_name_the_layer_and_the_values() -> None:
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_padding \(2, 2\) must be "
                                         r"smaller than either stride \(2, 2\)"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="only padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    layer = nn.ConvTranspose2d(3, 2, 3)
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 4 channels, weight "
                                         r"\(3, 2, 3, 3\) expects 3"):
        layer(nb.zeros(1, 4, 5, 5))
