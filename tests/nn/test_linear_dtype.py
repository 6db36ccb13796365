"""Linear and Maxout refuse an input whose dtype differs from their weights, like PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.nn as nn


@pytest.mark.parametrize("layer", [nn.Linear(3, 2), nn.Maxout(3, 2, 2)], ids=["linear", "maxout"])
def test_mixed_dtypes_are_an_error_naming_both(layer) -> None:
    x64 = nb.tensor(np.ones((4, 3)))                           # float64 into float32 weights
    with pytest.raises(TypeError, match="float64.*float32"):
        layer(x64)
    assert layer(nb.tensor(np.ones((4, 3), np.float32))).dtype == np.float32
    layer.double()
    assert layer(x64).dtype == np.float64
