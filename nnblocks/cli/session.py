"""Everything a run is made of, built from its JSON config: data, model, optimizer, loaders."""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.cli.presets import make_optimizer, make_scheduler
from nnblocks.data import DATASETS, ArrayDataset, DataLoader, Splits, dataset_config, load_splits
from nnblocks.io import Checkpoint, read_checkpoint
from nnblocks.models import build_model, loss_for

EVAL_BATCH = 512


class CLIError(Exception):
    """A problem the user can fix; the command prints its message as one line."""


class Warnings:
    """Warning lines of one command, held until it is known whether the command fails: a
    failing command prints only its one error line; ``flush`` prints them (before a long
    training, and when the command ends)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, message: str) -> None:
        self.lines.append(f"nnblocks: warning: {message}")

    def flush(self) -> None:
        for line in self.lines:
            print(line, file=sys.stderr)
        self.lines.clear()


#: the warnings of the command being run (the command line runs one command at a time)
WARNINGS = Warnings()


def warn(message: str) -> None:
    """Hold a warning line for the command being run (see :class:`Warnings`)."""
    WARNINGS.add(message)


@dataclass
class Run:
    """The objects of one training run."""

    config: dict[str, Any]
    splits: Splits
    model: Any
    loss_fn: Any
    optimizer: Any
    scheduler: Any
    train_loader: DataLoader
    val_loader: DataLoader | None
    test_loader: DataLoader
    train_rng: np.random.Generator


def limit_threads(threads: int) -> Any:
    """Limit BLAS and nnblocks' compiled kernels to ``threads`` threads (0: leave the defaults);
    returns the BLAS limiter, which must be kept alive. Small layers run fastest on one thread,
    and on a busy machine extra BLAS threads that spin for a core make everything slower. The
    BLAS limit needs ``threadpoolctl`` (a core dependency)."""
    if threads <= 0:
        return None
    cores = available_cores()
    if threads > cores:
        warn(f"--threads {threads} is more than the {cores} cores this process may use; the "
             "extra threads wait for a core and make it slower")
    from nnblocks.kernels.threads import set_num_threads

    set_num_threads(threads)                           # nnblocks' own kernel threads too
    try:
        import threadpoolctl  # noqa: F401 - BlasLimit needs it
    except ImportError:
        return None
    from nnblocks.kernels.threads import BlasLimit

    return BlasLimit(threads)                          # the same lock as the kernel sections


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def make_loaders(splits: Splits, batch_size: int, rng: np.random.Generator) -> tuple:
    train = DataLoader(ArrayDataset(*splits.train), batch_size, shuffle=True, rng=rng)
    val = None
    if splits.val is not None:
        val = DataLoader(ArrayDataset(*splits.val), EVAL_BATCH, shuffle=False)
    test = DataLoader(ArrayDataset(*splits.test), EVAL_BATCH, shuffle=False)
    return train, val, test


def build_run(config: dict[str, Any], splits: Splits | None = None) -> Run:
    """Make fresh objects (initialized from the config's seed); loads the data unless given."""
    if splits is None:
        splits = load_splits(config["dataset"])
    init_seed, loader_seed, train_seed = np.random.SeedSequence(config["seed"]).spawn(3)
    model = build_model(config["model"], rng=np.random.default_rng(init_seed))
    optimizer = make_optimizer(config["optimizer"], model.parameters())
    scheduler = make_scheduler(config["schedule"], optimizer)
    train, val, test = make_loaders(splits, config["batch_size"],
                                    np.random.default_rng(loader_seed))
    return Run(config, splits, model, loss_for(config["model"]), optimizer, scheduler,
               train, val, test, np.random.default_rng(train_seed))


#: what a checkpoint's config needs for ``--resume`` (evaluate, predict and sample need fewer)
RUN_KEYS = ("dataset", "model", "optimizer", "schedule", "epochs", "batch_size", "seed")


def check_run_config(path: Path, config: Any, keys: tuple[str, ...] = RUN_KEYS) -> None:
    """``CLIError`` unless ``config`` is a run config of ``nnblocks train`` with ``keys``."""
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise CLIError(f"{path}: the checkpoint has no model config (not written by "
                       "nnblocks train); load it with nnblocks.io.load_checkpoint instead")
    missing = [k for k in keys if k not in config]
    dataset = config.get("dataset")
    if isinstance(dataset, dict) and dataset.get("name") in DATASETS:
        missing += [f"dataset.{k}" for k in dataset_config(dataset["name"]) if k not in dataset]
    elif "dataset" in keys:
        missing.append(f"a dataset name among {', '.join(DATASETS)}")
    if missing:
        raise CLIError(f"{path}: the run config lacks {', '.join(missing)}")
    from nnblocks.cli.validate import check_config_types

    check_config_types(path, config)


def checkpoint_path(path: str | Path) -> Path:
    """A checkpoint file, or a run directory standing for its ``checkpoint.npz``."""
    path = Path(path).expanduser()
    return path / "checkpoint.npz" if path.is_dir() else path


def load_trained(path: str | Path) -> tuple[Checkpoint, dict[str, Any], Any]:
    """Read a checkpoint written by ``nnblocks train`` (or a run directory); rebuild its model
    with the saved weights, in eval mode. Returns ``(checkpoint, config, model)``."""
    path = checkpoint_path(path)
    ckpt = read_checkpoint(path)
    config = ckpt.config
    check_run_config(path, config, keys=("dataset", "model"))
    try:
        model = build_model(config["model"])
    except ValueError as e:
        raise CLIError(f"{path}: cannot rebuild the model: {e}") from None
    ckpt.restore(model=model)
    model.eval()
    return ckpt, copy.deepcopy(config), model
