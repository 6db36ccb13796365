"""Run every case of the block table: float64 gradient check, reference, PyTorch parity.

The meta-test at the bottom fails when a Block subclass of the library has no case.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib

import numpy as np
import pytest

import nnblocks
from nnblocks.core import Block, Tensor
from nnblocks.testing import gradcheck
from tests.cases import Case, all_cases
from tests.conftest import import_torch

CASES = all_cases()


def _seeded(case: Case) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(case.name.encode()))


def _outputs(out) -> list[Tensor]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _arrays(inputs: list) -> list:
    return [x.data if isinstance(x, Tensor) else x for x in inputs]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradcheck(case: Case) -> None:
    if not case.gradcheck:
        pytest.skip(case.note or "no gradient")
    inputs = case.make_inputs(_seeded(case))
    assert any(isinstance(x, Tensor) and x.requires_grad for x in inputs), case.name
    assert gradcheck(case.fn, inputs, atol=case.grad_atol, rtol=case.grad_rtol,
                     rng=_seeded(case))


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.reference is not None], ids=lambda c: c.name
)
def test_reference(case: Case) -> None:
    inputs = case.make_inputs(_seeded(case))
    outs = _outputs(case.fn(*inputs))
    expected = case.reference(*_arrays(inputs))
    expected = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    assert len(outs) == len(expected), case.name
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got.data, want, rtol=case.rtol, atol=case.atol)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.torch_fn is not None], ids=lambda c: c.name
)
def test_torch_parity(case: Case) -> None:
    torch = import_torch()
    inputs = case.make_inputs(_seeded(case))
    t_inputs = []
    for x in inputs:
        if isinstance(x, Tensor):
            t = torch.from_numpy(np.array(x.data))
            t_inputs.append(t.requires_grad_(x.requires_grad))
        elif case.torch_convert_constants and isinstance(x, np.ndarray):
            t_inputs.append(torch.from_numpy(np.array(x)))
        else:
            t_inputs.append(x)
    outs = _outputs(case.fn(*inputs))
    t_outs = _outputs(case.torch_fn(*t_inputs))
    assert len(outs) == len(t_outs), case.name
    rng = _seeded(case)
    total, t_total = None, None
    for o, t in zip(outs, t_outs):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=case.rtol, atol=case.atol)
        if o.requires_grad and t.requires_grad:
            u = rng.standard_normal(o.shape)
            term = (o * Tensor(u.astype(o.dtype))).sum()
            t_term = (t * torch.from_numpy(u).to(t.dtype)).sum()
            total = term if total is None else total + term
            t_total = t_term if t_total is None else t_total + t_term
    if total is None:
        return
    total.backward()
    t_total.backward()
    for x, t in zip(inputs, t_inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            assert x.grad is not None, case.name
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=case.rtol, atol=case.atol)


def _import_everything() -> None:
    for info in pkgutil.walk_packages(nnblocks.__path__, "nnblocks."):
        importlib.import_module(info.name)


def test_every_block_has_a_case() -> None:
    _import_everything()
    covered = {b for c in CASES for b in c.blocks}
    missing = sorted(
        name for name, cls in Block.registry.items()
        if cls not in covered and not name.startswith("tests.")
        and not getattr(cls, "abstract", False)
    )
    assert not missing, f"blocks without a case in tests/cases: {missing}"
