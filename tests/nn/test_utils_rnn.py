"""nn.utils.rnn.pad_sequence / unpad_sequence and nn.utils.parameters_to_vector /
vector_to_parameters against PyTorch; the PackedSequence functions raise saying what to write."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.nn.utils.rnn import pack_padded_sequence, pad_sequence, unpad_sequence
from tests.conftest import import_torch


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_as_torch(batch_first, side) -> None:
    torch = import_torch()
    from torch.nn.utils.rnn import pad_sequence as torch_pad

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 3, 2)) for n in (4, 1, 3)]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = [nb.tensor(a, requires_grad=True) for a in arrays]
    ty = torch_pad(theirs, batch_first=batch_first, padding_value=-2.0, padding_side=side)
    y = pad_sequence(ours, batch_first=batch_first, padding_value=-2.0, padding_side=side)
    np.testing.assert_array_equal(y.array, ty.detach().numpy())
    u = rng.standard_normal(tuple(ty.shape))
    (ty * torch.tensor(u)).sum().backward()
    (y * nb.tensor(u)).sum().backward()
    for t, o in zip(theirs, ours):
        np.testing.assert_array_equal(o.grad.array, t.grad.numpy())
    if side == "right":
        back = unpad_sequence(y, nb.tensor([4, 1, 3]), batch_first=batch_first)
        for a, b in zip(back, arrays):
            np.testing.assert_array_equal(a.array, b)


def test_parameters_to_vector_and_back_as_torch() -> None:
    torch = import_torch()
    results = []
    for lib in (nb, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float32))
            model.bias.fill_(0.5)
        vec = lib.nn.utils.parameters_to_vector(model.parameters())
        (vec * vec).sum().backward()
        lib.nn.utils.vector_to_parameters(vec.detach() * 2, model.parameters())
        results.append((vec.detach().numpy().copy(), model.weight.grad.numpy().copy(),
                        model.bias.detach().numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(RuntimeError, match="the vector has 3 elements, the parameters need 8"):
        nb.nn.utils.vector_to_parameters(nb.zeros(3), nb.nn.Linear(3, 2).parameters())


def test_packing_raises_saying_what_to_write() -> None:
    with pytest.raises(NotImplementedError, match=r"pack_padded_sequence: nnblocks has no "
                                                  r"PackedSequence; run the RNN on the padded"):
        pack_padded_sequence(nb.zeros(3, 2, 4), [3, 2], batch_first=False)
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 4\); every sequence "
                                           r"must be \(L_i, \*\(3,\)\)"):
        pad_sequence([nb.zeros(2, 3), nb.zeros(2, 4)])
