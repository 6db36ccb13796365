"""``nnblocks train``: train a model of the zoo on a dataset, or resume a run from a checkpoint.

A run directory receives ``checkpoint.npz`` (latest epoch, for ``--resume``), ``best.npz``
(best validation loss), ``metrics.jsonl`` (one line per epoch, then the test result),
``config.json`` and, when matplotlib is installed, ``curves.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nnblocks
from nnblocks.cli.presets import (
    OPTIMIZERS,
    TRAIN_DEFAULTS,
    optimizer_config,
    schedule_config,
)
from nnblocks.cli.session import (
    CLIError,
    Run,
    build_run,
    check_run_config,
    checkpoint_path,
    limit_threads,
)
from nnblocks.cli.viz import tensorboard_callback
from nnblocks.data import dataset_config, load_splits
from nnblocks.io import atomic_write, read_checkpoint
from nnblocks.models import model_config
from nnblocks.train import (
    Checkpoint,
    EarlyStopping,
    GradNormLogger,
    JSONLinesLogger,
    NonFiniteError,
    evaluate,
    fit,
    restore_callbacks,
)
from nnblocks.viz import plot_curves

#: options that define a run; a resumed run takes them from its checkpoint
RUN_OPTIONS = ("model", "dataset", "batch_size", "optimizer", "lr", "schedule", "seed",
               "text_file", "patience")


def build_config(args: argparse.Namespace) -> dict[str, Any]:
    """The run config from the command line, dataset defaults filling what it leaves out."""
    dataset = args.dataset or "digits"
    defaults = TRAIN_DEFAULTS[dataset]
    model = args.model or defaults["model"]
    if (dataset == "text") != (model == "charrnn"):
        raise CLIError(f"model {model!r} does not fit dataset {dataset!r}: the charrnn model "
                       "trains on the text dataset, and only there")
    overrides: dict[str, Any] = {}
    if args.data_dir and dataset in ("mnist", "fashion-mnist", "cifar10"):
        overrides["data_dir"] = str(Path(args.data_dir).expanduser().resolve())
    if args.text_file:
        if dataset != "text":
            raise CLIError("--text-file applies to --dataset text")
        overrides["path"] = str(Path(args.text_file).expanduser().resolve())
    data_config = dataset_config(dataset, **overrides)
    optimizer = args.optimizer or defaults["optimizer"]
    schedule = args.schedule or defaults["schedule"]
    if optimizer == "dbd" and schedule != "none":
        if args.schedule is not None:
            raise CLIError(f"--schedule {schedule} does not apply to --optimizer dbd: "
                           "delta-bar-delta adapts its own rate per weight (--lr only sets "
                           "where they start)")
        schedule = "none"
    lr = args.lr
    if lr is None:
        lr = defaults["lr"] if optimizer == defaults["optimizer"] else OPTIMIZERS[optimizer][2]
    epochs = args.epochs if args.epochs is not None else defaults["epochs"]
    return {
        "nnblocks_version": nnblocks.__version__,
        "dataset": data_config,
        "model_name": model,
        "model_settings": defaults.get("model_settings", {}).get(model, {}),
        "optimizer": optimizer_config(optimizer, lr),
        "schedule": schedule_config(schedule, epochs),
        "epochs": epochs,
        "batch_size": args.batch_size or defaults["batch_size"],
        "seed": args.seed if args.seed is not None else 0,
        "patience": args.patience,
    }


def complete_config(config: dict[str, Any], run_splits: Any) -> dict[str, Any]:
    """Add what only the data can tell: the model's sizes and the data facts (vocabulary,
    standardization) that evaluate, predict and sample need later."""
    config = dict(config)
    config["model"] = model_config(config.pop("model_name"), run_splits.input_shape,
                                   run_splits.num_classes, **config.pop("model_settings"))
    config["data_info"] = {**run_splits.info, "task": run_splits.task,
                           "input_shape": list(run_splits.input_shape),
                           "num_classes": run_splits.num_classes}
    return config


def prepare_out_dir(out: str | None, config: dict[str, Any]) -> Path:
    """The run directory, created and checked for writing (``runs/<model>-<dataset>[-N]``)."""
    if out is None:
        base = Path("runs") / f"{config['model_name']}-{config['dataset']['name']}"
        path, n = base, 1
        while path.exists() and any(path.iterdir()):
            n += 1
            path = base.with_name(f"{base.name}-{n}")
    else:
        path = Path(out).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise CLIError(f"cannot write to the output directory {path}: "
                       f"{e.strerror or e}") from None
    return path


def cmd_train(args: argparse.Namespace, started: float) -> int:
    if getattr(args, "nproc", None) or getattr(args, "distributed", False):
        from nnblocks.cli import distributed  # data-parallel, on MPI

        if args.nproc:
            return distributed.launch(args, args.argv)
        return distributed.run_distributed(args, started)
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the whole run
    if args.resume:
        run, out, start_epoch, history, saved = resume_run(args)
    else:
        config = build_config(args)
        out = prepare_out_dir(args.out, config)
        run = new_run(config, download=args.download, quiet=args.quiet)
        start_epoch, history, saved = 0, [], None
    config = run.config
    atomic_write(out / "config.json", lambda f: f.write(json.dumps(config, indent=2).encode()))
    checkpoint = Checkpoint(out, config=config, rng=run.train_rng)
    callbacks: list[Any] = [GradNormLogger(per_parameter=True),
                            JSONLinesLogger(out / "metrics.jsonl")]
    if config.get("patience"):
        callbacks.append(EarlyStopping("val_loss", patience=config["patience"]))
    callbacks.append(checkpoint)
    if getattr(args, "tensorboard", None) is not None:   # nnblocks train --tensorboard [DIR]
        callbacks.append(tensorboard_callback(args.tensorboard or out / "tensorboard", config))
    restore_callbacks(callbacks, saved)
    try:
        history = fit(run.model, run.loss_fn, run.optimizer, run.train_loader,
                      epochs=config["epochs"], val_loader=run.val_loader,
                      scheduler=run.scheduler, callbacks=callbacks, start_epoch=start_epoch,
                      history=history, progress=not args.quiet)
    except NonFiniteError as e:
        last = checkpoint.path if checkpoint.path.exists() else "none yet"
        raise CLIError(f"training stopped: {e}; last good checkpoint: {last}") from None
    except KeyboardInterrupt:
        print(f"interrupted; resume with: nnblocks train --resume {checkpoint.path}",
              file=sys.stderr)
        return 130
    test = evaluate(run.model, run.loss_fn, run.test_loader)
    finish(out, history, test, checkpoint, started)
    return 0


def new_run(config: dict[str, Any], download: bool = False, quiet: bool = False) -> Run:
    """Load the data, complete the config with what the data tells, build the objects."""
    splits = load_splits(config["dataset"], download=download, quiet=quiet)
    full = complete_config(config, splits)
    return build_run(full, splits=splits)


def resume_run(args: argparse.Namespace) -> tuple:
    """Rebuild a run from its checkpoint: config, weights, optimizer, schedule, loader, RNG."""
    given = [f"--{name.replace('_', '-')}" for name in RUN_OPTIONS
             if getattr(args, name) is not None]
    if given:
        raise CLIError(f"{', '.join(given)} cannot be combined with --resume: a resumed run "
                       "keeps the settings saved in its checkpoint (only --epochs, --out, "
                       "--data-dir, --quiet and --threads apply)")
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
    if args.data_dir:                                   # the data may have moved
        if "data_dir" not in config["dataset"]:
            raise CLIError(f"--data-dir does not apply to the {config['dataset']['name']} dataset")
        config["dataset"]["data_dir"] = str(Path(args.data_dir).expanduser().resolve())
    out = prepare_out_dir(args.out or str(resume.parent), config)
    run = build_run(config)
    ckpt.restore(model=run.model, optimizer=run.optimizer, scheduler=run.scheduler,
                 loader=run.train_loader, rng=run.train_rng)
    history = list((ckpt.metrics or {}).get("history", []))
    saved = (ckpt.extra or {}).get("callbacks")
    return run, out, done, history, saved


def finish(out: Path, history: Any, test: dict, checkpoint: Checkpoint, started: float) -> None:
    """Record the test result, draw the curves, print the summary line."""
    result = {"test_loss": test["loss"], "test_accuracy": test["accuracy"],
              "test_samples": test["samples"]}
    with (out / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(result) + "\n")
    if checkpoint.last_state is not None:                 # keep the test result with the run
        checkpoint.extra_metrics["test"] = result
        checkpoint.save(checkpoint.path, checkpoint.last_state)
    plot_curves(history, out / "curves.png")
    print(summary_line(test, time.perf_counter() - started, out))


def summary_line(test: dict, seconds: float, path: Path) -> str:
    parts = []
    if test.get("accuracy") is not None:
        parts.append(f"test accuracy {test['accuracy']:.4f}")
    parts.append(f"test loss {test['loss']:.4g}")
    parts.append(f"time {seconds:.1f} s")
    return "  ".join(parts) + f"  -> {path}"
