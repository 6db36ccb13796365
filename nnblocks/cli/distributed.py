"""``nnblocks train --distributed`` (under ``mpiexec``) and ``nnblocks train --nproc N``.

``--nproc N`` re-runs the same command line under MPICH's ``mpiexec`` with ``N`` processes on
this machine, adding ``--distributed``. Under ``--distributed`` every rank builds the run from
the same config (checked at start: a mismatch stops every rank with one line), converts
BatchNorm layers to :class:`~nnblocks.nn.SyncBatchNorm`, wraps the model in
:class:`~nnblocks.nn.parallel.DistributedDataParallel` and reads its share of every batch:

- ``--batch-size`` stays the **global** batch B; each of the P ranks reads ``B / P`` examples
  per step (B must be divisible by P), in the order of a
  :class:`~nnblocks.data.DistributedSampler` seeded by ``--seed`` and the epoch.
- Only rank 0 prints progress, writes ``metrics.jsonl``, ``config.json`` and the (atomic)
  checkpoints, with the unwrapped model. Every rank reads the checkpoint to resume.

**Resuming with another number of processes.** The epoch order depends only on the seed and
the epoch, never on P, and a checkpoint is written at the end of an epoch; so a run resumed with
P' processes sees the same global batches as the run that wrote it would have, and its result
equals an uninterrupted run's up to the rounding of sums taken in another order (about 1e-7
relative in float32: not bit for bit). The exactness needs: the number of training examples a
multiple of P and of P' (otherwise the sampler pads each epoch by repeating a few examples, as
PyTorch's does), and no random layers (dropout would draw other masks per rank).
A checkpoint of a run without ``--distributed`` resumes too, from its epoch, but its batches
came from the non-distributed loader's order, so the continuation is a different (equally
valid) run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks import distributed as dist
from nnblocks.cli.session import CLIError, check_run_config, checkpoint_path, limit_threads
from nnblocks.data import ArrayDataset, DataLoader, DistributedSampler
from nnblocks.io import atomic_write, read_checkpoint
from nnblocks.train import (
    EarlyStopping,
    GradNormLogger,
    JSONLinesLogger,
    NonFiniteError,
    evaluate,
    fit,
    restore_callbacks,
)
from nnblocks.train.distributed import DistributedCheckpoint, RankZero, SetSamplerEpoch

TEXT_BYTES = 4096                 # room for a broadcast path


def cmd_train(args: argparse.Namespace, started: float) -> int:
    """``nnblocks train --nproc N`` (start N ranks under mpiexec) or ``--distributed`` (this
    process is one rank)."""
    if args.nproc:
        return launch(args, args.argv)
    return run_distributed(args, started)


def launch(args: argparse.Namespace, argv: list[str]) -> int:
    """``--nproc N``: run this command under ``mpiexec -n N`` with ``--distributed``, supervised
    by :func:`nnblocks.distributed.launch.run` (one line per failure, naming the rank)."""
    try:
        from nnblocks.distributed.launch import find_mpiexec, run

        mpiexec = find_mpiexec()
    except RuntimeError as e:
        raise CLIError(str(e)) from None
    program = [sys.executable, "-m", "nnblocks", *_without_nproc(argv), "--distributed"]
    return run(args.nproc, program, mpiexec)


def _without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc=") and item != "--distributed":
            out.append(item)
    return out


def run_distributed(args: argparse.Namespace, started: float) -> int:
    """Train as one rank of an ``mpiexec`` job (see the module docstring)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise CLIError(f"--distributed: {dist.process_group.EXTRA_HINT}") from None
    with dist.abort_on_error(show_traceback=bool(os.environ.get("NNBLOCKS_DEBUG"))):
        dist.init_process_group("mpi", timeout=args.dist_timeout)
        code = _train(args, started)
        dist.barrier()
        dist.destroy_process_group()
    return code


def _train(args: argparse.Namespace, started: float) -> int:
    from nnblocks.cli.train import build_config, finish

    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the whole run
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.resume:
        config, out, ckpt = _read_resume(args)
        run = _build(config, complete=True, download=False, quiet=True)
        start_epoch = ckpt.epoch or 0
        ckpt.restore(model=run.model, optimizer=run.optimizer, scheduler=run.scheduler,
                     rng=run.train_rng)
        history = list((ckpt.metrics or {}).get("history", []))
        saved = (ckpt.extra or {}).get("callbacks")
    else:
        config = build_config(args)
        out = Path(_broadcast_text(_new_out_dir(args, config) if rank == 0 else ""))
        run = _build(config, complete=False, download=args.download, quiet=args.quiet)
        start_epoch, history, saved = 0, [], None
    config = run.config
    dist.check_same("the run config (nnblocks train options, dataset, seed)", config)
    batch = config["batch_size"]
    if batch % world:
        raise CLIError(f"--batch-size {batch} (the global batch) is not divisible by the "
                       f"{world} processes; choose a multiple of {world}")
    from nnblocks.nn import SyncBatchNorm
    from nnblocks.nn.parallel import DistributedDataParallel

    model = SyncBatchNorm.convert_sync_batchnorm(run.model)
    ddp = DistributedDataParallel(model)
    train_set = ArrayDataset(*run.splits.train)
    sampler = DistributedSampler(train_set, world, rank, shuffle=True, seed=config["seed"])
    loader = DataLoader(train_set, batch // world, sampler=sampler)
    loader.epoch = start_epoch
    if rank == 0:
        atomic_write(out / "config.json",
                     lambda f: f.write(json.dumps(config, indent=2).encode()))
    checkpoint = DistributedCheckpoint(out, config=config, rng=run.train_rng)
    logger = JSONLinesLogger(out / "metrics.jsonl", append=bool(args.resume))
    callbacks: list[Any] = [GradNormLogger(), RankZero(logger)]
    if config.get("patience"):
        callbacks.append(EarlyStopping("val_loss", patience=config["patience"]))
    callbacks += [checkpoint, SetSamplerEpoch()]
    restore_callbacks(callbacks, saved)
    try:
        history = fit(ddp, run.loss_fn, run.optimizer, loader, epochs=config["epochs"],
                      val_loader=run.val_loader, scheduler=run.scheduler, callbacks=callbacks,
                      start_epoch=start_epoch, history=history,
                      progress=not args.quiet and rank == 0)
    except NonFiniteError as e:
        raise CLIError(f"training stopped: {e}; last good checkpoint: {checkpoint.path}") from None
    if rank == 0:
        test = evaluate(model, run.loss_fn, run.test_loader)
        finish(out, history, test, checkpoint, started)
    return 0


def _build(config: dict[str, Any], complete: bool, download: bool, quiet: bool) -> Any:
    """The run's objects; rank 0 loads (and downloads) the data first, then the others read it
    from disk. ``complete``: the config already holds the model (a resumed run)."""
    from nnblocks.cli.session import build_run
    from nnblocks.cli.train import new_run

    def make(download: bool, quiet: bool) -> Any:
        return build_run(config) if complete else new_run(config, download, quiet)

    run = make(download, quiet) if dist.get_rank() == 0 else None
    dist.barrier()
    return run if run is not None else make(False, True)


def _read_resume(args: argparse.Namespace) -> tuple:
    from nnblocks.cli.train import RUN_OPTIONS, prepare_out_dir

    given = [f"--{n.replace('_', '-')}" for n in RUN_OPTIONS if getattr(args, n) is not None]
    if given:
        raise CLIError(f"{', '.join(given)} cannot be combined with --resume: a resumed run "
                       "keeps the settings saved in its checkpoint")
    resume = checkpoint_path(args.resume)
    ckpt = read_checkpoint(resume)
    config = ckpt.config
    check_run_config(resume, config)
    done = ckpt.epoch or 0
    if args.epochs is not None:
        if args.epochs < done:
            raise CLIError(f"--epochs {args.epochs}: {resume} has already trained {done} "
                           "epochs; --epochs is the total, so give more to continue")
        config["epochs"] = args.epochs
    loader_state = ckpt.loader_state or {}
    if loader_state.get("order") is not None:
        raise CLIError(f"{resume} was saved in the middle of an epoch; a distributed run "
                       "resumes from the end of an epoch")
    out = Path(args.out or str(resume.parent))
    if dist.get_rank() == 0:
        out = prepare_out_dir(str(out), config, resuming=resume).path
    dist.barrier()
    return config, out, ckpt


def _broadcast_text(text: str) -> str:
    """Rank 0's ``text`` on every rank (as UTF-8 bytes in a fixed buffer: no pickling)."""
    data = text.encode()
    if len(data) >= TEXT_BYTES:
        raise CLIError(f"path too long for the distributed run ({len(data)} bytes)")
    buffer = np.zeros(TEXT_BYTES // 8, dtype=np.int64)
    view = buffer.view(np.uint8)
    view[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    dist.broadcast(buffer, src=0)
    return view.tobytes().rstrip(b"\0").decode()


def _new_out_dir(args: Any, config: dict) -> str:
    """Rank 0's run directory for a new run (refused when non-empty unless ``--overwrite``)."""
    from nnblocks.cli.train import prepare_out_dir

    overwrite = bool(getattr(args, "overwrite", False))
    rundir = prepare_out_dir(args.out, config, overwrite=overwrite)
    if overwrite:
        rundir.clear_run_files()
    return str(rundir.path)
