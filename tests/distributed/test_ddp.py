"""DistributedDataParallel on real MPI processes: P = 2 and 3 (batch B / P per process) give
the parameters of one process with batch B, for MLP, CNN, RNN and CNN + SyncBatchNorm after 20
SGD and 20 Adam steps (float64, 1e-6 relative); plus the collectives, overlap of communication
with backward, no_sync, unused parameters and mismatched models.

One ``mpiexec`` launch per world size runs every check (tests/distributed/worker.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.distributed import models
from tests.distributed.conftest import mpirun, require_mpi


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    """One process, batch B, plain BatchNorm2d: the result the runs must reproduce."""
    arrays = {}
    for name in models.MODELS:
        for kind in models.OPTIMIZERS:
            model = models.build_model(name)
            models.train(model, kind, models.loader(name, 1, 0))
            for key, value in models.final_state(model).items():
                arrays[f"{name}/{kind}/{key}"] = value
    return arrays


_LAUNCHES: dict[int, tuple] = {}


def _launch(world: int, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """Run the worker once per world size (cached for the module's tests)."""
    if world not in _LAUNCHES:
        require_mpi()
        out = tmp_path_factory.mktemp(f"ddp{world}")
        checks = "all" if world == 2 else "collectives,overlap"
        result = mpirun(world, ["-m", "tests.distributed.worker", str(out), checks],
                        timeout=150)
        assert result.returncode == 0, result.stderr[-3000:]
        ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in range(world)]
        with np.load(out / "params.npz", allow_pickle=False) as f:
            params = dict(f)
        _LAUNCHES[world] = (world, ranks, params)
    return _LAUNCHES[world]


@pytest.fixture(scope="module", params=[2, 3], ids=lambda p: f"P{p}")
def launched(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return _launch(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def launched2(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The 2-process launch, which also runs the no_sync, unused and mismatch checks."""
    return _launch(2, tmp_path_factory)


def _relative(got: np.ndarray, want: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(want))), 1e-300)
    return float(np.max(np.abs(got - want))) / scale


@pytest.mark.parametrize("name", models.MODELS)
def test_equivalent_to_one_process_with_the_whole_batch(launched: tuple, reference: dict,
                                                        name: str) -> None:
    world, _, params = launched
    keys = [k for k in reference if k.startswith(f"{name}/")]
    assert keys and set(keys) <= set(params), sorted(set(keys) - set(params))
    start = models.build_model(name).state_dict()
    for key in keys:
        got, want = params[key], reference[key]
        assert got.shape == want.shape, key
        assert _relative(got, want) <= 1e-6, (world, key, _relative(got, want))
        initial = np.asarray(start[key.split("/", 2)[2]], dtype=np.float64)
        # training moved every parameter (but a conv bias before BatchNorm: zero gradient)
        frozen = name == "cnn_bn" and key.endswith("/0.bias")
        if "num_batches" not in key and not frozen:
            assert not np.allclose(got, initial), key


def test_collectives(launched: tuple) -> None:
    world, ranks, _ = launched
    for result in ranks:
        c = result["collectives"]
        total = world * (world + 1) / 2
        assert c["sum"] == [total] * 3
        assert c["avg"] == pytest.approx([total / world] * 3)
        assert c["max"] == [world - 1, 0]
        assert c["broadcast"] == [world - 1.0] * 2
        assert c["gather"] == [[r * 10.0] * 2 for r in range(world)]


def test_all_reduce_overlaps_backward(launched: tuple) -> None:
    """Timestamps: buckets are all-reduced while backward is still producing gradients."""
    _, ranks, _ = launched
    for result in ranks:
        o = result["overlap"]
        assert o["buckets"] == 12                         # 6 layers × (weight, bias)
        assert len(o["started"]) == 12
        assert o["started"][0] < o["last_grad_ready"]     # started before backward ended
        assert o["started"] == sorted(o["started"])
        assert o["backward_returned"] >= o["started"][-1]
        assert result["hooks_released"]


def test_no_sync_accumulates_then_averages(launched2: tuple) -> None:
    _, ranks, _ = launched2
    finals = [np.array(r["no_sync"]["final"]) for r in ranks]
    locals_ = [np.array(r["no_sync"]["local_first"]) for r in ranks]
    assert not np.allclose(locals_[0], locals_[1])        # no communication inside no_sync
    np.testing.assert_allclose(finals[0], finals[1], rtol=0, atol=0)
    assert not np.allclose(finals[0], locals_[0])


def test_unused_parameters_and_mismatched_models(launched2: tuple) -> None:
    _, ranks, _ = launched2
    for result in ranks:
        assert "inner.unused.weight" in result["unused_error"]
        assert "find_unused_parameters=True" in result["unused_error"]
        assert np.all(np.array(result["unused_flag_grad"]) == 0.0)
        used = np.array(result["used_flag_grad"])
        assert np.any(used != 0.0)
        assert "differs across ranks: ranks [1] disagree with rank 0" in result["mismatch"]
        assert "DistributedSampler settings" in result["sampler_mismatch"]
    np.testing.assert_array_equal(ranks[0]["used_flag_grad"], ranks[1]["used_flag_grad"])
