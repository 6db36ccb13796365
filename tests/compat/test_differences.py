"""Every difference nnblocks keeps from PyTorch raises, and its message says what to write
instead (never a silent change of meaning). One row per difference; the README's "Coming from
PyTorch" section lists the same ones."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.nn as nn
import nnblocks.nn.functional as F
from nnblocks.utils.data import DataLoader, TensorDataset


def _loader(**kwargs):
    return DataLoader(TensorDataset(np.arange(4)), **kwargs)


#: (what PyTorch code does, the call, the exception, a pattern naming what to write instead)
DIFFERENCES = [
    ("a CUDA device for a module", lambda: nn.Linear(2, 2).cuda(), RuntimeError,
     r"runs on the CPU; got 'cuda' \(use 'cpu'"),
    ("a CUDA device for a new tensor", lambda: nb.zeros(2, device="cuda:0"), RuntimeError,
     r"use 'cpu'"),
    ("moving a module to the MPS device", lambda: nn.Linear(2, 2).to("mps"), RuntimeError,
     r"use 'cpu'"),
    ("torch.set_default_device('cuda')", lambda: nb.set_default_device("cuda"), RuntimeError,
     r"use 'cpu'"),
    ("a CUDA generator", lambda: nb.Generator(device="cuda"), RuntimeError, r"use 'cpu'"),
    ("saving a whole model object", lambda: nb.save(nn.Linear(2, 2), "unused.pt"), TypeError,
     r"nb\.save\(model\.state_dict\(\), path\)"),
    ("half precision for a module", lambda: nn.Linear(2, 2).half(), TypeError,
     r"use \.float\(\)"),
    ("bfloat16 for a module", lambda: nn.Linear(2, 2).bfloat16(), TypeError,
     r"use \.float\(\)"),
    ("a Python list as a module input", lambda: nn.Linear(2, 2)([1.0, 2.0]), TypeError,
     r"wrap it with nb\.tensor"),
    ("sparse embedding gradients", lambda: nn.Embedding(3, 2, sparse=True), ValueError,
     r"leave it False"),
    ("a projected LSTM", lambda: nn.LSTM(2, 3, proj_size=2), NotImplementedError,
     r"use proj_size=0"),
    ("loader worker processes", lambda: _loader(num_workers=2, multiprocessing_context="spawn"),
     ValueError, r"leave multiprocessing_context=None"),
    ("a torch.Generator for the loader", lambda: _loader(shuffle=True, generator=object()),
     TypeError, r"generator=nb\.Generator\(\)\.manual_seed\(seed\)"),
    ("bicubic resizing", lambda: F.interpolate(nb.zeros(1, 1, 2, 2), size=3, mode="bicubic"),
     ValueError, r"use 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'"),
    ("anti-aliased resizing",
     lambda: F.interpolate(nb.zeros(1, 1, 2, 2), size=3, mode="bilinear", antialias=True),
     ValueError, r"leave it False"),
    ("'same' padding with a non-zero padding mode",
     lambda: nn.Conv2d(1, 1, 3, padding="same", padding_mode="reflect"), ValueError,
     r"give the padding as numbers"),
]


@pytest.mark.parametrize("what,call,error,instead", DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_difference_raises_and_says_what_to_write(what, call, error, instead, tmp_path,
                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)                           # nothing is written in the repository
    with pytest.raises(error, match=instead):
        call()


def test_whole_pickled_model_from_torch_is_refused_with_the_way_out(torch, tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(Exception, match=r"torch\.save\(model\.state_dict\(\), path\)"):
        nb.load(path)
