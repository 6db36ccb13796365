"""``nb.tensor`` and ``Tensor`` refuse data that is not numbers (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Tensor


@pytest.mark.parametrize("data, kind", [
    (["a", "b"], "string"), (None, "object"), ([1, None], "object"), (b"xy", "bytes"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime"), ({"a": 1}, "object"),
])
@pytest.mark.parametrize("make", [nb.tensor, Tensor], ids=["nb.tensor", "Tensor"])
def test_non_numeric_data_is_a_type_error(make, data, kind):
    with pytest.raises(TypeError, match=f"data must be numbers or booleans, got {kind} data"):
        make(data)


@pytest.mark.parametrize("data", [[True, False], 3, 2.5, [[1, 2]], np.zeros(3, np.int8)])
def test_numbers_and_booleans_are_still_tensors(data):
    assert nb.tensor(data).shape == np.shape(data)
