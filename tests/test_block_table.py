"""Run every case of the block table: float64 gradient check, reference, PyTorch parity.

A case of a block with a compiled twin (``compiled_twin``, see :mod:`nnblocks.kernels.dispatch`)
runs on both paths, as Chainer's ``inject_backend_tests``: ids ``<case>-numpy`` (compiled path
switched off) and ``<case>-compiled`` (switched on; needs numba). The meta-tests at the bottom
fail when a Block subclass of the library has no case, or when a block's twin is never reached
by any of its cases (its "compiled" runs would silently test NumPy again).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import zlib
from collections.abc import Iterator

import numpy as np
import pytest

import nnblocks
import nnblocks.kernels as K
from nnblocks.core import Block, Tensor
from nnblocks.kernels.dispatch import Twin
from nnblocks.testing import gradcheck
from tests.cases import Case, all_cases
from tests.conftest import import_torch

CASES = all_cases()
PATHS = ("numpy", "compiled")


def has_twin(case: Case) -> bool:
    return any(getattr(b, "compiled_twin", None) is not None for b in case.blocks)


def with_paths(cases: list[Case]) -> list:
    """``(case, path)`` parameters: both paths for a block with a compiled twin, else one run
    under the default setting (``path`` None)."""
    params = []
    for case in cases:
        if has_twin(case):
            params += [pytest.param(case, p, id=f"{case.name}-{p}") for p in PATHS]
        else:
            params.append(pytest.param(case, None, id=case.name))
    return params


@contextlib.contextmanager
def on_path(path: str | None) -> Iterator[None]:
    """Run with the compiled path switched off (``"numpy"``) or on (``"compiled"``)."""
    if path is None:
        yield
        return
    if path == "compiled" and not K.have_numba():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise RuntimeError("CI must test the compiled path: numba is not installed")
        pytest.skip("numba is not installed")
    previous = K.use_numba(path == "compiled")
    try:
        yield
    finally:
        K.use_numba(previous)


def _seeded(case: Case) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(case.name.encode()))


def _outputs(out) -> list[Tensor]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _arrays(inputs: list) -> list:
    return [x.array if isinstance(x, Tensor) else x for x in inputs]


@pytest.mark.parametrize(("case", "path"), with_paths(CASES))
def test_gradcheck(case: Case, path: str | None) -> None:
    if not case.gradcheck:
        pytest.skip(case.note or "no gradient")
    inputs = case.make_inputs(_seeded(case))
    assert any(isinstance(x, Tensor) and x.requires_grad for x in inputs), case.name
    with on_path(path):
        assert gradcheck(case.fn, inputs, atol=case.grad_atol, rtol=case.grad_rtol,
                         rng=_seeded(case))


@pytest.mark.parametrize(("case", "path"),
                         with_paths([c for c in CASES if c.reference is not None]))
def test_reference(case: Case, path: str | None) -> None:
    inputs = case.make_inputs(_seeded(case))
    with on_path(path):
        outs = _outputs(case.fn(*inputs))
    expected = case.reference(*_arrays(inputs))
    expected = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    assert len(outs) == len(expected), case.name
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got.array, want, rtol=case.rtol, atol=case.atol)


@pytest.mark.parametrize(("case", "path"),
                         with_paths([c for c in CASES if c.torch_fn is not None]))
def test_torch_parity(case: Case, path: str | None) -> None:
    torch = import_torch()
    with on_path(path):
        _torch_parity(case, torch)


def _torch_parity(case: Case, torch) -> None:
    inputs = case.make_inputs(_seeded(case))
    t_inputs = []
    for x in inputs:
        if isinstance(x, Tensor):
            t = torch.from_numpy(np.array(x.array))
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
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=case.rtol, atol=case.atol)
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


def test_every_compiled_twin_is_reached_by_a_case(monkeypatch) -> None:
    """A block with a compiled twin needs a case whose inputs the twin supports: spy on each
    twin's ``supported`` while the cases run forward on the compiled path."""
    _import_everything()
    twins = {cls for name, cls in Block.registry.items()
             if name.startswith("nnblocks.") and getattr(cls, "compiled_twin", None) is not None}
    assert twins, "no block declares a compiled twin"
    reached: set[type] = set()
    for cls in twins:
        def spy(*arrays, cls=cls, supported=cls.compiled_twin.supported) -> bool:
            ok = supported(*arrays)
            if ok:
                reached.add(cls)
            return ok
        monkeypatch.setattr(cls, "compiled_twin", Twin(spy))
    with on_path("compiled"):
        for case in CASES:
            if twins.intersection(case.blocks):
                case.fn(*case.make_inputs(_seeded(case)))
    missing = sorted(cls.__name__ for cls in twins - reached)
    assert not missing, f"blocks whose compiled twin no case in tests/cases reaches: {missing}"
