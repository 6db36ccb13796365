"""Layer constructors check their sizes as PyTorch does; a module refuses a Python list as input
(issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(2.5, 3), "Linear: in_features must be an integer, got 2.5 (float)"),
    (lambda: nn.Linear(2, "3"), "Linear: out_features must be an integer, got '3' (str)"),
    (lambda: nn.Linear(True, 3), "Linear: in_features must be an integer, got True (bool)"),
    (lambda: nn.Conv2d(1, 2.0, 3), "Conv2d: out_channels must be an integer"),
    (lambda: nn.BatchNorm2d(4.0), "BatchNorm2d: num_features must be an integer"),
    (lambda: nn.Maxout(2, 3, 1.5), "Maxout: num_pieces must be an integer"),
])
def test_a_non_integer_size_is_a_type_error(make, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(-1, 3), "Linear: in_features must be non-negative, got -1"),
    (lambda: nn.Conv2d(1, -2, 3), "Conv2d: out_channels must be non-negative, got -2"),
    (lambda: nn.Conv2d(2, 2, 3, groups=0), "Conv2d: groups must be greater than zero, got 0"),
    (lambda: nn.GroupNorm(0, 4), "GroupNorm: num_groups must be greater than zero, got 0"),
    (lambda: nn.Maxout(2, 3, 0), "Maxout: num_pieces must be greater than zero, got 0"),
    (lambda: nn.RNN(0, 3), "input_size must be a positive integer"),
])
def test_a_size_out_of_range_is_a_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_empty_layers_where_torch_allows_them(torch):
    """``Linear(0, 3)`` is an empty layer in PyTorch (output: the bias); it used to raise
    ZeroDivisionError."""
    layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0) and np.all(layer.bias.array == 0)
    y = layer(nb.tensor(np.zeros((2, 0), np.float32)))
    assert y.shape == (2, 3)
    with pytest.warns(UserWarning, match="zero-element"):      # PyTorch: init is a no-op
        reference = torch.nn.Linear(0, 3)
    assert tuple(reference.weight.shape) == layer.weight.shape
    assert nn.Conv2d(0, 3, 3).weight.shape == (3, 0, 3, 3)


def test_a_list_input_says_to_wrap_it_and_arrays_are_accepted():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with pytest.raises(TypeError, match=r"Sequential: input must be a Tensor or a NumPy array, "
                                        r"got a list; wrap it with nb.tensor\(...\)"):
        model([[1.0, 2.0]])
    with pytest.raises(TypeError, match="got a tuple"):
        model(((1.0, 2.0),))
    x = np.array([[1.0, 2.0]], dtype=np.float32)
    np.testing.assert_array_equal(model(x).array, model(nb.tensor(x)).array)
