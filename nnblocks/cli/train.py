"""``nnblocks train``: train a model of the zoo on a dataset, or resume a run from a checkpoint.

A run directory receives ``checkpoint.npz`` (latest epoch, for ``--resume``), ``best.npz``
(best validation loss), ``metrics.jsonl`` (one line per epoch, then the test result),
``config.json`` and, when matplotlib is installed, ``curves.png``. A non-empty directory is
refused unless it is the run being resumed or ``--overwrite`` is given; a run that ends before
its first checkpoint removes what it created (see :mod:`.rundir`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import nnblocks
from nnblocks.cli.presets import (
    OPTIMIZERS,
    TRAIN_DEFAULTS,
    make_optimizer,
    make_scheduler,
    optimizer_config,
    schedule_config,
)
from nnblocks.cli.rundir import RunDirectory
from nnblocks.cli.session import (
    WARNINGS,
    CLIError,
    Run,
    build_run,
    check_run_config,
    checkpoint_path,
    limit_threads,
    warn,
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


def prepare_out_dir(out: str | None, config: dict[str, Any], overwrite: bool = False,
                    resuming: Path | None = None) -> RunDirectory:
    """The run directory (``runs/<model>-<dataset>[-N]`` by default), checked (never a
    non-empty directory without ``overwrite``, see :mod:`.rundir`), created, writable."""
    if out is None:
        base = Path("runs") / f"{config['model_name']}-{config['dataset']['name']}"
        path, n = base, 1
        while path.exists() and any(path.iterdir()):
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        out = str(path)
    return RunDirectory.prepare(out, overwrite=overwrite, resuming=resuming)


class Attempt:
    """What one ``nnblocks train`` invocation has made so far, for cleanup and messages."""

    def __init__(self, resumed: Path | None) -> None:
        self.resumed = resumed                      # the checkpoint resumed from, if any
        self.rundir: RunDirectory | None = None
        self.checkpoint: Checkpoint | None = None

    def wrote_checkpoint(self) -> bool:
        c = self.checkpoint
        return c is not None and c.last_state is not None and c.path.exists()

    def in_place(self) -> bool:
        return (self.resumed is not None and self.rundir is not None
                and self.rundir.path.resolve() == self.resumed.parent.resolve())

    def last_good(self) -> Path | None:
        """The newest checkpoint of this run: written now, or the one resumed from."""
        if self.wrote_checkpoint():
            return self.checkpoint.path
        if self.resumed is not None and self.resumed.is_file():
            return self.resumed
        return None


def cmd_train(args: argparse.Namespace, started: float) -> int:
    """``nnblocks train`` on one process (``--nproc``/``--distributed``: cli/distributed.py)."""
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the whole run
    attempt = Attempt(checkpoint_path(args.resume) if args.resume else None)
    try:
        return _train(args, started, attempt)
    except BaseException as e:
        if attempt.rundir is not None and not attempt.wrote_checkpoint() \
                and not attempt.in_place():
            attempt.rundir.discard()                # failed before its first checkpoint
        last = attempt.last_good()
        WARNINGS.lines.clear()                      # the outcome is the one line that matters
        if isinstance(e, KeyboardInterrupt):
            hint = f"; resume with: nnblocks train --resume {last}" if last else \
                " before the first checkpoint (nothing to resume)"
            print(f"nnblocks: interrupted{hint}", file=sys.stderr)
            return 130
        if isinstance(e, NonFiniteError):
            where = f"last good checkpoint: {last}" if last else "no checkpoint was written"
            raise CLIError(f"training stopped: {e}; {where}") from None
        raise


def _train(args: argparse.Namespace, started: float, attempt: Attempt) -> int:
    if args.resume:
        run, start_epoch, history, saved = resume_run(args, attempt)
    else:
        config = build_config(args)
        attempt.rundir = prepare_out_dir(args.out, config, overwrite=args.overwrite)
        run = new_run(config, download=args.download, quiet=args.quiet)
        start_epoch, history, saved = 0, [], None
    out = attempt.rundir.path
    config = run.config
    if args.overwrite and not attempt.in_place():
        attempt.rundir.clear_run_files()           # the run has started: the old one goes
    attempt.rundir.written += [out / "config.json", out / "metrics.jsonl"]
    atomic_write(out / "config.json", lambda f: f.write(json.dumps(config, indent=2).encode()))
    checkpoint = Checkpoint(out, config=config, rng=run.train_rng)
    attempt.checkpoint = checkpoint
    callbacks: list[Any] = [GradNormLogger(per_parameter=True),
                            JSONLinesLogger(out / "metrics.jsonl")]
    if config.get("patience"):
        callbacks.append(EarlyStopping("val_loss", patience=config["patience"]))
    callbacks.append(checkpoint)
    if getattr(args, "tensorboard", None) is not None:   # nnblocks train --tensorboard [DIR]
        callbacks.append(tensorboard_callback(args.tensorboard or out / "tensorboard", config))
    restore_callbacks(callbacks, saved)
    WARNINGS.flush()                               # before a training that may take long
    history = fit(run.model, run.loss_fn, run.optimizer, run.train_loader,
                  epochs=config["epochs"], val_loader=run.val_loader,
                  scheduler=run.scheduler, callbacks=callbacks, start_epoch=start_epoch,
                  history=history, progress=not args.quiet)
    test = evaluate(run.model, run.loss_fn, run.test_loader)
    finish(out, history, test, checkpoint, started)
    warn_if_diverged(history, test, run.splits)
    return 0


def new_run(config: dict[str, Any], download: bool = False, quiet: bool = False) -> Run:
    """Load the data, complete the config with what the data tells, build the objects."""
    splits = load_splits(config["dataset"], download=download, quiet=quiet)
    full = complete_config(config, splits)
    return build_run(full, splits=splits)


def resume_run(args: argparse.Namespace, attempt: Attempt) -> tuple:
    """Rebuild a run from its checkpoint: config, weights, optimizer, schedule, loader, RNG.

    ``--epochs N`` changes the run's length; a schedule that depends on it (cosine, step)
    continues as the schedule of an N-epoch run would (see :func:`rescale_schedule`)."""
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
    rescale = False
    if args.epochs is not None:
        if args.epochs < done:
            raise CLIError(f"--epochs {args.epochs}: {resume} has already trained {done} "
                           "epochs; --epochs is the total, so give more to continue")
        rescale = args.epochs != config["epochs"]
        config["epochs"] = args.epochs
    if args.data_dir:                                   # the data may have moved
        if "data_dir" not in config["dataset"]:
            raise CLIError(f"--data-dir does not apply to the {config['dataset']['name']} dataset")
        config["dataset"]["data_dir"] = str(Path(args.data_dir).expanduser().resolve())
    attempt.rundir = prepare_out_dir(args.out or str(resume.parent), config,
                                     overwrite=args.overwrite, resuming=resume)
    if rescale:
        config["schedule"] = schedule_config(config["schedule"]["name"], config["epochs"])
    run = build_run(config)
    ckpt.restore(model=run.model, optimizer=run.optimizer, scheduler=run.scheduler,
                 loader=run.train_loader, rng=run.train_rng)
    if rescale:
        rescale_schedule(run, done)
    history = list((ckpt.metrics or {}).get("history", []))
    saved = (ckpt.extra or {}).get("callbacks")
    return run, done, history, saved


def rescale_schedule(run: Run, done: int) -> None:
    """After ``--resume --epochs N``: put the learning rate where the run's schedule, made for
    N epochs (``schedule_config``), has it after ``done`` epochs, so the rest of the run follows
    that schedule. A finished cosine run given more epochs thus gets a higher rate again once,
    then anneals to the minimum at epoch N (never the cosine that climbs back past T_max).
    Schedules that do not depend on the length (none, exponential, inverse-time) are kept."""
    if run.scheduler is None or run.config["schedule"]["name"] not in ("cosine", "step"):
        return
    from nnblocks.nn import Parameter

    probe = make_optimizer(run.config["optimizer"], [Parameter(np.zeros(1, np.float32))])
    fresh = make_scheduler(run.config["schedule"], probe)
    for _ in range(done):
        fresh.step()
    run.scheduler.load_state_dict(fresh.state_dict())
    for group in run.optimizer.param_groups:
        group["lr"] = probe.param_groups[0]["lr"]


def finish(out: Path, history: Any, test: dict, checkpoint: Checkpoint, started: float) -> None:
    """Record the test result, draw the curves, print the summary line."""
    result = {"test_loss": test["loss"], "test_accuracy": test["accuracy"],
              "test_samples": test["samples"]}
    with (out / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(result) + "\n")
    if checkpoint.last_state is not None:                 # keep the test result with the run
        checkpoint.extra_metrics["test"] = result
        checkpoint.save(checkpoint.path, checkpoint.last_state)
    if plot_curves(history, out / "curves.png") is None:
        warn(MATPLOTLIB_MISSING.format(what="curves.png"))
    print(summary_line(test, time.perf_counter() - started, out))


#: the one line printed when a figure is not drawn
MATPLOTLIB_MISSING = ("{what} skipped: matplotlib is not installed "
                      "(pip install 'nnblocks[plot]')")


def divergence(history: Any, test: dict, splits: Any) -> str | None:
    r"""Why the run did not learn, or None: the final epoch's training loss above the first
    epoch's, a test loss above that of a uniform guess (:math:`\log C` for C classes), or a
    test accuracy no better than always answering the most common class."""
    losses = [r.get("loss") for r in history]
    if len(losses) >= 2 and losses[-1] is not None and losses[0] is not None \
            and losses[-1] > losses[0]:
        return (f"training diverged: the final train loss {losses[-1]:.4g} is above the first "
                f"epoch's {losses[0]:.4g} (try a smaller --lr)")
    uniform = float(np.log(splits.num_classes)) if splits.num_classes > 1 else None
    if uniform is not None and not test["loss"] <= uniform:
        return (f"training diverged: the test loss {test['loss']:.4g} is above {uniform:.4g}, "
                f"the loss of a uniform guess over {splits.num_classes} classes (try a smaller "
                "--lr)")
    accuracy = test.get("accuracy")
    if accuracy is None:
        return None
    _, counts = np.unique(np.asarray(splits.test[1]).ravel(), return_counts=True)
    chance = counts.max() / counts.sum() if counts.size else 0.0
    if accuracy <= chance:
        return (f"the model is at chance: test accuracy {accuracy:.4f} is no better than "
                f"always answering the most common class ({chance:.4f}); try another --lr or "
                "more --epochs")
    return None


def warn_if_diverged(history: Any, test: dict, splits: Any) -> None:
    """A warning line after the summary when the run did not learn (the exit status stays 0:
    a short run can be at chance on purpose)."""
    reason = divergence(history, test, splits)
    if reason is not None:
        warn(reason)


def summary_line(test: dict, seconds: float, path: Path) -> str:
    parts = []
    if test.get("accuracy") is not None:
        parts.append(f"test accuracy {test['accuracy']:.4f}")
    parts.append(f"test loss {test['loss']:.4g}")
    parts.append(f"time {seconds:.1f} s")
    return "  ".join(parts) + f"  -> {path}"
