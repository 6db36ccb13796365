"""A small data-parallel ``fit`` that fails on purpose: ``python -m tests.distributed.fault_worker
OUT_DIR MODE``.

MODE ``kill-checkpoint``: rank 0 SIGKILLs itself halfway through writing its second checkpoint.
MODE ``raise``: rank 1 raises ``ValueError`` in the middle of the second epoch.
The surviving rank must stop with one line naming the failed rank (nnblocks.distributed.faults).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.distributed as dist
import nnblocks.io.checkpoint as checkpoint_module
import nnblocks.nn as nn
from nnblocks.data import ArrayDataset, DataLoader, DistributedSampler
from nnblocks.train import Callback, fit
from nnblocks.train.distributed import DistributedCheckpoint, SetSamplerEpoch


class RaiseInEpoch(Callback):
    def on_batch_end(self, state) -> None:
        if dist.get_rank() == 1 and state.epoch == 1 and state.batch == 3:
            raise ValueError("injected failure in rank 1")


def kill_during_second_save() -> None:
    real = checkpoint_module.np.savez
    saves = []

    def savez(f, **arrays):
        saves.append(1)
        if len(saves) == 2:
            f.write(b"PK\x03\x04 partial checkpoint bytes")
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(f, **arrays)

    checkpoint_module.np.savez = savez


def main() -> None:
    out, mode = Path(sys.argv[1]), sys.argv[2]
    with dist.abort_on_error(show_traceback=False):
        dist.init_process_group("mpi", timeout=20)
        rank, world = dist.get_rank(), dist.get_world_size()
        if mode == "kill-checkpoint" and rank == 0:
            kill_during_second_save()
        nb.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        ddp = nn.parallel.DistributedDataParallel(model)
        rng = np.random.default_rng(0)
        data = ArrayDataset(rng.standard_normal((64, 4)).astype(np.float32),
                            rng.integers(0, 2, 64))
        loader = DataLoader(data, 8 // world, sampler=DistributedSampler(data, seed=0))
        callbacks = [DistributedCheckpoint(out), SetSamplerEpoch()]
        if mode == "raise":
            callbacks.append(RaiseInEpoch())
        fit(ddp, nn.CrossEntropyLoss(), nb.optim.SGD(model.parameters(), lr=0.1), loader,
            epochs=4, callbacks=callbacks, progress=False)
        print(f"rank {rank} finished", flush=True)


if __name__ == "__main__":
    main()
