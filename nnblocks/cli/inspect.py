"""``nnblocks evaluate | predict | sample | info CKPT``: use and describe a trained checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.cli.session import EVAL_BATCH, CLIError, limit_threads, load_trained, warn
from nnblocks.core import Tensor, no_grad
from nnblocks.data import ArrayDataset, DataLoader, Standardize, load_splits
from nnblocks.models import loss_for
from nnblocks.train import evaluate


def _dataset_config(config: dict[str, Any], data_dir: str | None) -> dict[str, Any]:
    data = dict(config["dataset"])
    if data_dir:
        if "data_dir" not in data:
            raise CLIError(f"--data-dir does not apply to the {data['name']} dataset")
        data["data_dir"] = str(Path(data_dir).expanduser().resolve())
    return data


def cmd_evaluate(args: argparse.Namespace) -> int:
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the command
    _, config, model = load_trained(args.checkpoint)
    splits = load_splits(_dataset_config(config, args.data_dir))
    part = getattr(splits, args.split)
    if part is None:
        raise CLIError(f"the {config['dataset']['name']} run has no {args.split} split")
    loader = DataLoader(ArrayDataset(*part), EVAL_BATCH, shuffle=False)
    result = evaluate(model, loss_for(config["model"]), loader)
    line = [f"{args.split} accuracy {result['accuracy']:.4f}"] if result["accuracy"] is not None \
        else []
    line += [f"{args.split} loss {result['loss']:.4g}", f"({result['samples']} examples)"]
    print("  ".join(line))
    return 0


def _read_inputs(path: Path, config: dict[str, Any]) -> np.ndarray:
    """Inputs from ``.npy`` or text (``.csv``/``.txt``, one example per row), scaled as the
    training data was before standardization (pixels in [0, 1])."""
    if not path.is_file():
        raise CLIError(f"input file {path} not found")
    try:
        if path.suffix == ".npy":
            x = np.load(path, allow_pickle=False)
        else:
            x = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    except (ValueError, OSError) as e:
        raise CLIError(f"cannot read inputs from {path}: {e}") from None
    shape = tuple(config["data_info"]["input_shape"])
    size = int(np.prod(shape))
    if x.size == 0:
        raise CLIError(f"{path}: no inputs (an empty array); expected examples of shape {shape}")
    if x.size % size:
        raise CLIError(f"{path}: {x.size} values cannot be split into examples of shape {shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise CLIError(f"{path}: inputs must be real numbers, got dtype {x.dtype}")
    x = x.reshape((-1,) + shape).astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        example = int(np.argwhere(bad)[0][0])
        raise CLIError(f"{path}: {int(bad.sum())} input values are NaN or infinite (the first in "
                       f"example {example}); predictions of them would mean nothing")
    _warn_outside_range(path, x, config)
    if "standardize" in config["data_info"]:
        x = Standardize.from_config(config["data_info"]["standardize"])(x)
    return x


#: the range of the raw inputs of image datasets (pixels scaled to [0, 1]), for checkpoints
#: written before the range was recorded in ``data_info.input_range``
_PIXEL_RANGE = (0.0, 1.0)


def _warn_outside_range(path: Path, x: np.ndarray, config: dict[str, Any]) -> None:
    """One warning line when inputs leave the range of the training inputs."""
    info = config.get("data_info", {})
    trained = info.get("input_range")
    if trained is None and "standardize" in info:
        trained = _PIXEL_RANGE
    if trained is None:
        return
    low, high = float(trained[0]), float(trained[1])
    margin = 0.05 * (high - low)
    if x.min() < low - margin or x.max() > high + margin:
        warn(f"{path}: inputs range over [{x.min():.4g}, {x.max():.4g}], the model was trained "
             f"on [{low:.4g}, {high:.4g}]; scale them the same way (images: pixels in [0, 1]), "
             "or the predictions mean little")


def cmd_predict(args: argparse.Namespace) -> int:
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the command
    _, config, model = load_trained(args.checkpoint)
    info = config.get("data_info", {})
    if info.get("task") == "language":
        raise CLIError("predict classifies examples; for a text model use: nnblocks sample CKPT")
    if args.inputs:
        x = _read_inputs(Path(args.inputs), config)
        labels = None
        indices = np.arange(len(x))
    else:
        splits = load_splits(_dataset_config(config, args.data_dir))
        x_all, y_all = splits.test
        indices = np.arange(min(args.count, len(x_all)))
        x, labels = x_all[indices], y_all[indices]
    with no_grad():
        logits = model(Tensor(x)).array.astype(np.float64)                # (N, C)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = z / z.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    names = info.get("classes")
    header = f"{'index':>5}  {'predicted':>10}  {'probability':>11}"
    print(header + (f"  {'label':>10}" if labels is not None else ""))
    for row, i in enumerate(indices):
        label = names[predicted[row]] if names else str(predicted[row])
        line = f"{i:>5}  {label:>10}  {probabilities[row, predicted[row]]:>11.4f}"
        if labels is not None:
            line += f"  {names[labels[row]] if names else labels[row]:>10}"
        print(line)
    if labels is not None:
        print(f"{int((predicted == labels).sum())} of {len(labels)} correct")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive for the command
    _, config, model = load_trained(args.checkpoint)
    vocab = config.get("data_info", {}).get("vocab")
    if config["model"]["name"] != "charrnn" or vocab is None:
        raise CLIError(f"sample needs a charrnn checkpoint; this one holds a "
                       f"{config['model']['name']!r} model")
    missing = sorted({c for c in args.prompt if c not in vocab})
    if missing:
        raise CLIError(f"the prompt has characters the model never saw: {missing!r}")
    prompt_ids = [vocab.index(c) for c in args.prompt]
    rng = np.random.default_rng(args.seed)
    ids = model.sample(prompt_ids, args.length, temperature=args.temperature, rng=rng)
    print(args.prompt + "".join(vocab[i] for i in ids))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    ckpt, config, model = load_trained(args.checkpoint)
    history = (ckpt.metrics or {}).get("history", [])
    print(f"checkpoint  {ckpt.path}  (format version {ckpt.version}, epoch {ckpt.epoch} of "
          f"{config.get('epochs', '?')})")
    print(f"dataset     {json.dumps(config['dataset'])}")
    print(f"model       {json.dumps(config['model'])}")
    optimizer = config.get("optimizer", {})
    print(f"optimizer   {optimizer.get('name')} lr={optimizer.get('lr')}  schedule "
          f"{config.get('schedule', {}).get('name')}  batch size {config.get('batch_size')}  "
          f"seed {config.get('seed')}")
    print()
    print(repr(model))
    print()
    print_layer_table(model)
    if history:
        last = history[-1]
        shown = {k: v for k, v in last.items() if k in (
            "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")}
        print()
        print("last epoch  " + "  ".join(f"{k} {_fmt(v)}" for k, v in shown.items()))
    test = (ckpt.metrics or {}).get("test")
    if test:
        print("test        " + "  ".join(f"{k[5:]} {_fmt(v)}" for k, v in test.items()))
    return 0


def print_layer_table(model: Any) -> None:
    """Parameters per layer: the modules that own parameters, with shapes and counts."""
    rows = []
    for name, module in model.named_modules():
        own = [(n, p) for n, p in module._parameters.items() if p is not None]
        if own:
            shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in own)
            rows.append((name or "(model)", type(module).__name__, shapes,
                         sum(p.numel() for _, p in own)))
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in
              enumerate(("layer", "type", "parameters"))]
    print(f"{'layer':<{widths[0]}}  {'type':<{widths[1]}}  {'parameters':<{widths[2]}}  "
          f"{'count':>9}")
    for name, kind, shapes, count in rows:
        print(f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {shapes:<{widths[2]}}  {count:>9,}")
    total = sum(r[3] for r in rows)
    print(f"{'total':<{widths[0] + widths[1] + widths[2] + 4}}  {total:>9,}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
