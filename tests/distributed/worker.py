"""Run on every rank by ``mpiexec``: the checks of tests/distributed/test_ddp.py, one launch.

Usage: ``python -m tests.distributed.worker OUT_DIR``. Rank 0 writes ``OUT_DIR/params.npz``
(final parameters and buffers of every model × optimizer); every rank writes
``OUT_DIR/rank<r>.json`` with the results of the other checks.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.distributed as dist
import nnblocks.nn as nn
from nnblocks.core import autograd
from nnblocks.data import DistributedSampler
from tests.distributed import models


def equivalence(results: dict, arrays: dict) -> None:
    world, rank = dist.get_world_size(), dist.get_rank()
    for name in models.MODELS:
        for kind in models.OPTIMIZERS:
            model = models.build_model(name)
            if name == "cnn_bn":
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            ddp = nn.parallel.DistributedDataParallel(model)
            models.train(ddp, kind, models.loader(name, world, rank))
            for key, value in models.final_state(model).items():
                arrays[f"{name}/{kind}/{key}"] = value


def collectives(results: dict) -> None:
    world, rank = dist.get_world_size(), dist.get_rank()
    a = nb.tensor(np.full(3, rank + 1.0))
    dist.all_reduce(a)
    b = np.full(3, rank + 1.0, dtype=np.float32)
    dist.all_reduce(b, dist.ReduceOp.AVG)
    c = np.array([rank, -rank], dtype=np.int64)
    dist.all_reduce(c, dist.ReduceOp.MAX)
    d = np.full(2, float(rank))
    dist.broadcast(d, src=world - 1)
    out = [np.zeros(2) for _ in range(world)]
    dist.all_gather(out, np.full(2, rank * 10.0))
    dist.barrier()
    results["collectives"] = {"sum": a.array.tolist(), "avg": b.tolist(), "max": c.tolist(),
                              "broadcast": d.tolist(), "gather": [o.tolist() for o in out]}


def overlap(results: dict) -> None:
    """Tiny buckets (one per parameter): the first all-reduce starts before the last
    gradient of the backward pass is ready."""
    rank = dist.get_rank()
    model = nn.Sequential(*[nn.Linear(64, 64, dtype=np.float64) for _ in range(6)])
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.02)
    x = nb.tensor(np.random.default_rng(rank).standard_normal((32, 64)))
    ddp(x).sum().backward()
    ended = time.perf_counter()
    results["overlap"] = {"buckets": len(ddp._buckets),
                          "started": ddp.timings["bucket_started"],
                          "last_grad_ready": ddp.timings["last_grad_ready"],
                          "backward_returned": ended}
    del ddp                                  # the wrapper's hooks go with it
    gc.collect()
    results["hooks_released"] = not any(id(p) in autograd._post_accumulate_hooks
                                        for p in model.parameters())


def no_sync_and_unused(results: dict) -> None:
    rank = dist.get_rank()
    model = models.build_model("mlp")
    ddp = nn.parallel.DistributedDataParallel(model)
    data = models.dataset("mlp")
    x, y = data.arrays
    loss_fn = nn.CrossEntropyLoss()
    half = models.GLOBAL_BATCH // 2
    # two micro-batches per rank, accumulated without communication, then one synchronized
    chunks = [slice(rank * models.GLOBAL_BATCH + i * half, rank * models.GLOBAL_BATCH
                    + (i + 1) * half) for i in range(2)]
    ddp(nb.tensor(x[:2]))                    # a forward without backward is forgotten
    with ddp.no_sync():
        loss_fn(ddp(nb.tensor(x[chunks[0]])), nb.tensor(y[chunks[0]])).backward()
    after_no_sync = model[0].weight.grad.array.copy()
    loss_fn(ddp(nb.tensor(x[chunks[1]])), nb.tensor(y[chunks[1]])).backward()
    results["no_sync"] = {"local_first": after_no_sync.tolist(),
                          "final": model[0].weight.grad.tolist()}
    # an unused parameter: reported at the next forward, or handled with the flag
    model = nn.ModuleDict({"used": nn.Linear(8, 4, dtype=np.float64),
                           "unused": nn.Linear(8, 4, dtype=np.float64)})

    class Wrapper(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, v):
            return self.inner["used"](v)

    ddp = nn.parallel.DistributedDataParallel(Wrapper(model))
    ddp(nb.tensor(x[:4])).sum().backward()
    try:
        ddp(nb.tensor(x[:4]))
        results["unused_error"] = None
    except RuntimeError as e:
        results["unused_error"] = str(e)
    ddp = nn.parallel.DistributedDataParallel(Wrapper(model), find_unused_parameters=True)
    for _ in range(2):
        ddp.zero_grad()
        ddp(nb.tensor(x[:4] * (rank + 1))).sum().backward()
    results["unused_flag_grad"] = model["unused"].weight.grad.tolist()
    results["used_flag_grad"] = model["used"].weight.grad.tolist()


def mismatch(results: dict) -> None:
    rank = dist.get_rank()
    model = nn.Linear(8, 4 if rank == 0 else 5, dtype=np.float64)
    try:
        nn.parallel.DistributedDataParallel(model)
        results["mismatch"] = None
    except dist.DistributedError as e:
        results["mismatch"] = str(e)
    try:
        DistributedSampler(range(10), seed=rank)             # seeds must agree
        results["sampler_mismatch"] = None
    except dist.DistributedError as e:
        results["sampler_mismatch"] = str(e)


def main() -> None:
    out = Path(sys.argv[1])
    checks = sys.argv[2].split(",") if len(sys.argv) > 2 else ["all"]
    with dist.abort_on_error():
        dist.init_process_group("mpi", timeout=30)
        results: dict = {"world": dist.get_world_size()}
        arrays: dict = {}
        for name, check in (("collectives", collectives), ("overlap", overlap),
                            ("no_sync", no_sync_and_unused), ("mismatch", mismatch)):
            if "all" in checks or name in checks:
                check(results)
        equivalence(results, arrays)
        if dist.get_rank() == 0:
            np.savez(out / "params.npz", **arrays)
        (out / f"rank{dist.get_rank()}.json").write_text(json.dumps(results))
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
