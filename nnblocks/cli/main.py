"""The ``nnblocks`` command (also ``python -m nnblocks``).

Subcommands: ``train``, ``evaluate``, ``predict``, ``sample``, ``info``, ``graph``, ``report``,
``demo``. A user error (unknown option, missing data, unwritable directory, bad checkpoint)
prints one line on stderr and exits with a non-zero status; set ``NNBLOCKS_DEBUG=1`` to see
tracebacks. ``export`` and ``info FILE.onnx`` live in :mod:`nnblocks.cli.export`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nnblocks.cli.export import add_export_parser
from nnblocks.cli.presets import OPTIMIZERS, SCHEDULES, TRAIN_DEFAULTS
from nnblocks.cli.session import WARNINGS
from nnblocks.data import DATASETS
from nnblocks.models import MODELS

DEBUG_ENV = "NNBLOCKS_DEBUG"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="nnblocks", allow_abbrev=False,
                    description="Train, inspect and use nnblocks models.")
    parser.add_argument("--version", action="version", version=f"nnblocks {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    _add_train(sub)
    _add_inspect(sub)
    add_export_parser(sub)
    from nnblocks.cli.viz import add_viz_commands

    add_viz_commands(sub)
    demo = sub.add_parser("demo", allow_abbrev=False, help="run a demo (--list shows them)")
    demo.add_argument("name", nargs="?")
    demo.add_argument("--list", action="store_true")
    demo.add_argument("--out", help="output directory (default: runs/demo-NAME)")
    demo.add_argument("--seed", type=_non_negative_int, default=0)
    demo.add_argument("--json", action="store_true", help="print the numbers as JSON")
    _common(demo)
    return parser


def _add_train(sub: Any) -> None:
    train = sub.add_parser("train", allow_abbrev=False, help="train a model (default: a CNN on "
                           "the digits scikit-learn ships)")
    train.add_argument("--model", choices=list(MODELS), help="default: per dataset (cnn-bn for "
                       "images, mlp for points, rnn for parity, charrnn for text)")
    train.add_argument("--dataset", choices=list(DATASETS), help="default: digits")
    train.add_argument("--epochs", type=_positive_int, help="total epochs (default: per dataset, "
                       f"{TRAIN_DEFAULTS['digits']['epochs']} for digits)")
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--optimizer", choices=list(OPTIMIZERS))
    train.add_argument("--lr", type=_positive_float, help="learning rate")
    train.add_argument("--schedule", choices=list(SCHEDULES), help="learning-rate schedule")
    train.add_argument("--seed", type=_non_negative_int,
                       help="seed of initialization and shuffling (0)")
    train.add_argument("--patience", type=_positive_int,
                       help="stop after this many epochs without a better validation loss")
    train.add_argument("--out", help="run directory (default: runs/MODEL-DATASET[-N]); a "
                       "non-empty one is refused unless it is the run being resumed")
    train.add_argument("--overwrite", action="store_true", help="train into a non-empty --out: "
                       "its run files (checkpoint, best model, metrics, config, curves) are "
                       "replaced once the new run has started; other files are kept")
    train.add_argument("--resume", metavar="CKPT", help="continue the run of this checkpoint")
    train.add_argument("--data-dir", help="directory of the MNIST/Fashion-MNIST/CIFAR-10 files "
                       "(default: the cache, ~/.cache/nnblocks/NAME)")
    train.add_argument("--download", action="store_true",
                       help="download MNIST/Fashion-MNIST/CIFAR-10 when missing (SHA-256 checked)")
    train.add_argument("--text-file", help="text to train the charrnn on (default: Python's "
                       "own pydoc topics)")
    _common(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--tensorboard", nargs="?", const="", metavar="DIR", help="write "
                       "TensorBoard event files to DIR (default: RUN/tensorboard)")
    train.add_argument("--distributed", action="store_true", help="data-parallel training as "
                       "one rank of an mpiexec job (mpiexec -n 2 nnblocks train --distributed)")
    train.add_argument("--nproc", type=_positive_int, help="start N data-parallel processes "
                       "on this machine with MPICH's mpiexec (implies --distributed)")
    train.add_argument("--dist-timeout", type=_positive_float, default=60.0, metavar="S",
                       help="seconds before ranks give up on a silent peer (default 60)")


def _add_inspect(sub: Any) -> None:
    evaluate = sub.add_parser("evaluate", allow_abbrev=False, help="loss and accuracy of a "
                              "checkpoint on its test set")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--split", choices=["test", "val", "train"], default="test")
    evaluate.add_argument("--data-dir")
    _common(evaluate)

    predict = sub.add_parser("predict", allow_abbrev=False, help="class predictions for test "
                             "examples or for inputs in a file")
    predict.add_argument("checkpoint")
    predict.add_argument("inputs", nargs="?", help=".npy or .csv of inputs (one example per "
                         "row, pixels in [0, 1]); default: the first test examples")
    predict.add_argument("--count", type=_positive_int, default=10)
    predict.add_argument("--data-dir")
    _common(predict)

    sample = sub.add_parser("sample", allow_abbrev=False, help="generate text with a charrnn")
    sample.add_argument("checkpoint")
    sample.add_argument("--length", type=_positive_int, default=300)
    sample.add_argument("--prompt", default="The ")
    sample.add_argument("--temperature", type=_positive_float, default=0.8)
    sample.add_argument("--seed", type=_non_negative_int, default=0)
    _common(sample)

    info = sub.add_parser("info", allow_abbrev=False, help="architecture, parameters per layer "
                          "and metrics of a checkpoint (of a .onnx file: inputs, outputs, "
                          "opset, operator counts)")
    info.add_argument("checkpoint")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=_positive_int, default=1, help="BLAS and kernel threads "
                   "(default 1, fastest for these small layers; more than the machine's cores "
                   "is slower and warns)")


def _version() -> str:
    from nnblocks import __version__

    return __version__


def cmd_demo(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from nnblocks.cli.session import CLIError, limit_threads, warn
    from nnblocks.demos import format_results, registry

    demos = registry()
    if args.list or not args.name:
        width = max(len(n) for n in demos)
        for name, (description, _) in sorted(demos.items()):
            print(f"{name:<{width}}  {description}")
        return 0
    if args.name not in demos:
        raise CLIError(f"unknown demo {args.name!r}; choose from {', '.join(sorted(demos))}")
    out = Path(args.out or Path("runs") / f"demo-{args.name}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"cannot write to the output directory {out}: {e.strerror or e}") from None
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the demo
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        warn(f"the {args.name} demo's figure is skipped: matplotlib is not installed "
             "(pip install 'nnblocks[plot]')")
    result = demos[args.name][1](out, rng=np.random.default_rng(args.seed))
    report = None if args.json else format_results(args.name, result)
    print(report if report is not None else json.dumps(result, indent=2, default=str))
    print(f"-> {out}")
    return 0


def _dispatch(args: argparse.Namespace, started: float) -> int:
    if args.command == "train" and (getattr(args, "nproc", None)
                                    or getattr(args, "distributed", False)):
        from nnblocks.cli import distributed  # data-parallel, on MPI

        return distributed.cmd_train(args, started)
    if args.command == "train":
        from nnblocks.cli.train import cmd_train

        return cmd_train(args, started)
    if args.command == "demo":
        return cmd_demo(args)
    if args.command == "export" or (args.command == "info" and args.checkpoint.endswith(".onnx")):
        from nnblocks.cli import export

        return export.cmd_export(args) if args.command == "export" else export.cmd_onnx_info(args)
    if args.command in ("graph", "report"):
        from nnblocks.cli.viz import run_viz_command

        return run_viz_command(args)
    from nnblocks.cli import inspect

    return {"evaluate": inspect.cmd_evaluate, "predict": inspect.cmd_predict,
            "sample": inspect.cmd_sample, "info": inspect.cmd_info}[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success)."""
    import numpy as np

    from nnblocks.kernels import pad_heap

    started = time.perf_counter()
    try:
        # overflow or NaN is reported by the training guard as one line, not as NumPy warnings
        with np.errstate(all="ignore"), _interrupts():
            args = build_parser().parse_args(argv)
            pad_heap()                           # reuse freed memory between steps (kernels/)
            args.argv = list(sys.argv[1:] if argv is None else argv)    # for train --nproc
            status = _dispatch(args, started)
        WARNINGS.flush()
        return status
    except KeyboardInterrupt:
        WARNINGS.lines.clear()                   # one line: the interrupt
        print("nnblocks: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                      # output piped into `head`
        return 0
    except Exception as e:                       # one line, never a traceback
        WARNINGS.lines.clear()                   # the error is the one line that matters
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"nnblocks: error: {_one_line(e)}", file=sys.stderr)
        return 1


@contextlib.contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C raises ``KeyboardInterrupt``, deferred while numba compiles a kernel (see
    :mod:`nnblocks.kernels.interrupt`); the previous handler is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from nnblocks.kernels import interrupt

    previous = signal.signal(signal.SIGINT, interrupt.sigint_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupt.raise_pending()          # one deferred at the very end of the last kernel call


def _one_line(error: Exception) -> str:
    from nnblocks.cli.session import CLIError
    from nnblocks.data import DataFormatError, DatasetNotFoundError, DownloadError
    from nnblocks.io import CheckpointError

    message = " ".join(str(error).split())
    known = (CLIError, CheckpointError, DatasetNotFoundError, DataFormatError, DownloadError,
             OSError, ValueError)
    if isinstance(error, known):
        return message
    return f"{type(error).__name__}: {message} (set {DEBUG_ENV}=1 for the traceback)"
