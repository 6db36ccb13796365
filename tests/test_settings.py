"""The process-wide switches of PyTorch programs (nnblocks/settings.py), each against PyTorch
where the meaning is shared."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import nnblocks as nb
from tests.conftest import import_torch


def test_compile_returns_what_it_was_given_and_computes_the_same() -> None:
    torch = import_torch()
    model = nb.nn.Linear(3, 2)
    assert nb.compile(model) is model and nb.compile(mode="max-autotune")(model) is model
    theirs = torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                            model.state_dict().items()})
    x = np.ones((4, 3), dtype=np.float32)
    np.testing.assert_allclose(nb.compile(model)(nb.tensor(x)).array,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_set_num_threads_sets_the_pool_and_blas() -> None:
    before = nb.get_num_threads()
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    try:
        nb.set_num_threads(1)
        assert nb.get_num_threads() == 1
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
    finally:
        nb.set_num_threads(before)
        threadpool_limits(limits=max(blas or [1]), user_api="blas")
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int, got 0"):
        nb.set_num_threads(0)


def test_flags_are_recorded_and_checked_as_torch() -> None:
    torch = import_torch()
    for lib in (nb, torch):
        before = lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(before)
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")
        assert lib.is_floating_point(lib.ones(2)) and not lib.is_floating_point(lib.arange(2))
        assert lib.get_default_dtype() == lib.float32
    with pytest.raises(ValueError, match="expected 'highest', 'high' or 'medium', got 'low'"):
        nb.set_float32_matmul_precision("low")
    nb.set_default_dtype(nb.float32)
    with pytest.raises(TypeError, match=r"default dtype is float32 .* call model.double\(\)"):
        nb.set_default_dtype(nb.float64)
