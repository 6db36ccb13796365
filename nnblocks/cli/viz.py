"""``nnblocks graph RUN | --model NAME`` and ``nnblocks report RUN``: see a model's computation and
a finished run; and the TensorBoard callback of ``nnblocks train --tensorboard``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.cli.presets import TRAIN_DEFAULTS
from nnblocks.cli.session import CLIError, limit_threads, load_trained
from nnblocks.core import Tensor
from nnblocks.data import dataset_config, load_splits
from nnblocks.models import MODELS, build_model, loss_for, model_config

GRAPH_FORMATS = ("svg", "png", "pdf", "dot")


def add_viz_commands(sub: Any) -> None:
    """Add the ``graph`` and ``report`` subcommands to the ``nnblocks`` parser."""
    g = sub.add_parser("graph", allow_abbrev=False, help="draw the computational graph of a "
                       "run's model (or of a zoo model) and its loss")
    g.add_argument("run", nargs="?", help="run directory or checkpoint")
    g.add_argument("--model", choices=list(MODELS), help="a zoo model instead of a run")
    g.add_argument("--dataset", help="the data shaping --model (default: digits; text for "
                   "charrnn)")
    g.add_argument("--out", help="output file (default: RUN/graph.FORMAT or graph-MODEL.FORMAT)")
    g.add_argument("--format", choices=GRAPH_FORMATS, help="default: svg when Graphviz is "
                   "installed, else dot (from --out's suffix when given)")
    g.add_argument("--expand", action="store_true", help="draw fused blocks as primitives")
    g.add_argument("--unfold", action="store_true", help="draw recurrent layers unfolded in "
                   "time (one cell per step, shared parameters marked)")
    g.add_argument("--batch", type=int, default=2, help="examples in the drawn batch (2)")

    r = sub.add_parser("report", allow_abbrev=False, help="write a self-contained HTML report "
                       "of a run (curves, confusion matrix, worst examples, filters, graph)")
    r.add_argument("run", help="run directory or checkpoint")
    r.add_argument("--out", help="output file (default: RUN/report.html)")
    r.add_argument("--data-dir")
    r.add_argument("--threads", type=int, default=1)


def run_viz_command(args: argparse.Namespace) -> int:
    if args.command == "graph":
        return cmd_graph(args)
    return cmd_report(args)


def tensorboard_callback(log_dir: str | Path, config: dict[str, Any]) -> Any:
    """The TensorBoard callback of a CLI run: hyper-parameters from the run config."""
    from nnblocks.train.tensorboard import TensorBoard

    hparams = {"model": config["model"]["name"], "dataset": config["dataset"]["name"],
               "optimizer": config["optimizer"]["name"], "lr": config["optimizer"]["lr"],
               "schedule": config["schedule"]["name"], "epochs": config["epochs"],
               "batch_size": config["batch_size"], "seed": config["seed"]}
    shape = config.get("data_info", {}).get("input_shape")
    return TensorBoard(log_dir, hparams=hparams,
                       image_shape=tuple(shape) if shape and len(shape) == 3 else None)


def _zoo_model(name: str, dataset: str | None) -> tuple[Any, dict[str, Any], Any]:
    dataset = dataset or ("text" if name == "charrnn" else "digits")
    splits = load_splits(dataset_config(dataset), quiet=True)
    settings = TRAIN_DEFAULTS.get(dataset, {}).get("model_settings", {}).get(name, {})
    config = model_config(name, splits.input_shape, splits.num_classes, **settings)
    model = build_model(config, rng=np.random.default_rng(0))
    return model, config, splits.test


def cmd_graph(args: argparse.Namespace) -> int:
    from nnblocks.viz import graph, graphviz_available

    if (args.run is None) == (args.model is None):
        raise CLIError("graph: give a run directory (or checkpoint), or --model NAME")
    if args.batch < 1:
        raise CLIError(f"graph: --batch must be at least 1, got {args.batch}")
    if args.run:
        _, config, model = load_trained(args.run)
        model_conf = config["model"]
        test = load_splits(config["dataset"], quiet=True).test
        base = Path(args.run)
        base = (base if base.is_dir() else base.parent) / "graph"
    else:
        model, model_conf, test = _zoo_model(args.model, args.dataset)
        base = Path(f"graph-{args.model}")
    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out else None) or \
        ("svg" if graphviz_available() else "dot")
    if fmt not in GRAPH_FORMATS:
        raise CLIError(f"graph: unknown format {fmt!r}; choose from {', '.join(GRAPH_FORMATS)}")
    if fmt != "dot" and not graphviz_available():
        raise CLIError(f"graph: rendering {fmt} needs Graphviz's 'dot' program (apt install "
                       "graphviz); use --format dot for the DOT text")
    out = Path(args.out) if args.out else base.with_suffix("." + fmt)
    x, y = test[0][:args.batch], test[1][:args.batch]
    model.eval()
    loss = loss_for(model_conf)(model(Tensor(x)), Tensor(y))
    drawing = graph(loss, params=model, expand=args.expand, unfold=args.unfold)
    try:
        drawing.render(out, format=fmt)
    except OSError as e:
        raise CLIError(f"cannot write {out}: {e.strerror or e}") from None
    blocks = sum(n.kind == "block" for n in drawing.nodes)
    print(f"{blocks} blocks, {len(drawing.nodes)} nodes, {len(drawing.edges)} edges -> {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from nnblocks.viz.report import write_report

    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the command
    ckpt, config, model = load_trained(args.run)
    info = config.get("data_info", {})
    if info.get("task") == "language":
        raise CLIError("report: describes classifiers; a charrnn run has no confusion matrix "
                       "(use nnblocks info and nnblocks sample)")
    data = dict(config["dataset"])
    if args.data_dir:
        data["data_dir"] = str(Path(args.data_dir).expanduser().resolve())
    test = load_splits(data, quiet=True).test
    metrics = ckpt.metrics or {}
    base = Path(args.run)
    out = Path(args.out) if args.out else (base if base.is_dir() else base.parent) / \
        "report.html"
    title = f"nnblocks run: {config['model']['name']} on {config['dataset']['name']}"
    shown = {k: v for k, v in config.items() if k != "data_info"}
    path = write_report(out, model=model, test=test, config=shown,
                        history=metrics.get("history", []), test_metrics=metrics.get("test"),
                        class_names=info.get("classes"), loss_fn=loss_for(config["model"]),
                        title=title)
    print(f"report of {len(test[1])} test examples -> {path}")
    return 0
