"""``nnblocks export RUN --format onnx [--out FILE]`` and ``nnblocks info FILE.onnx``.

The export rebuilds the run's model from its checkpoint, traces it on an example batch
(:func:`nnblocks.onnx.export`; the batch axis is dynamic, and the time axis of sequence models)
and, when ONNX Runtime is installed, checks
that it gives the model's outputs on random inputs. The graph takes the model's input as the
data loaders give it (standardized); the standardization statistics, class names and model
config go into the file's metadata (``nnblocks.*`` keys) for the code that deploys it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

#: the batch size of the example the model is traced on (the file accepts any)
EXAMPLE_BATCH = 2
#: inputs used to compare ONNX Runtime with nnblocks after exporting
CHECK_BATCH = 8


def add_export_parser(sub: Any) -> None:
    export = sub.add_parser("export", allow_abbrev=False, help="export a trained run to ONNX "
                            "(inspect the file with: nnblocks info FILE.onnx)")
    export.add_argument("run", metavar="RUN", help="run directory or checkpoint file")
    export.add_argument("--format", choices=["onnx"], default="onnx")
    export.add_argument("--out", help="output file (default: RUN/model.onnx, or the "
                        "checkpoint's name with .onnx)")
    export.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17)")


def _example(config: dict[str, Any], batch: int, rng: np.random.Generator) -> np.ndarray:
    info = config.get("data_info", {})
    shape = (batch, *info.get("input_shape", ()))
    if config["model"]["name"] == "charrnn":
        vocab = int(config["model"]["vocab_size"])
        return rng.integers(0, vocab, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(np.float32)


def _dynamic_axes(config: dict[str, Any]) -> dict[int, str] | None:
    """Sequence models read any length: their time axis (1) is dynamic too."""
    shape = config.get("data_info", {}).get("input_shape", ())
    name = config["model"]["name"]
    if name == "charrnn" or (name == "rnn" and len(shape) == 2):
        return {1: "time"}
    return None


def _metadata(config: dict[str, Any]) -> dict[str, str]:
    info = config.get("data_info", {})
    meta = {"nnblocks.model": json.dumps(config["model"]),
            "nnblocks.dataset": json.dumps(config.get("dataset", {}).get("name"))}
    for key in ("standardize", "classes", "vocab"):
        if key in info:
            meta[f"nnblocks.{key}"] = json.dumps(info[key])
    return meta


def _verify(proto: Any, model: Any, x: np.ndarray) -> float | None:
    """Largest |ONNX Runtime - nnblocks| over the outputs for ``x``; None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from nnblocks.core import Tensor, no_grad
    from nnblocks.onnx.trace import flatten_outputs

    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})
    with no_grad():
        want = [y.array for y in flatten_outputs(model(Tensor(x)))]
    return max(float(np.max(np.abs(a - b))) for a, b in zip(got, want))


def cmd_export(args: argparse.Namespace) -> int:
    from nnblocks.cli.session import CLIError, checkpoint_path, load_trained

    try:
        import nnblocks.onnx as nb_onnx
    except ImportError as e:
        raise CLIError(f"{e}") from None
    _, config, model = load_trained(args.run)
    source = checkpoint_path(args.run)
    out = Path(args.out) if args.out else (
        Path(args.run) / "model.onnx" if Path(args.run).is_dir() else source.with_suffix(".onnx"))
    rng = np.random.default_rng(0)
    opset = args.opset if args.opset is not None else nb_onnx.DEFAULT_OPSET
    try:
        proto = nb_onnx.export(model, _example(config, EXAMPLE_BATCH, rng), opset=opset,
                               dynamic_axes=_dynamic_axes(config), metadata=_metadata(config))
    except NotImplementedError as e:
        raise CLIError(str(e)) from None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(proto.SerializeToString())
    except OSError as e:
        raise CLIError(f"cannot write {out}: {e.strerror or e}") from None
    print(f"wrote {out}  ({len(proto.graph.node)} nodes, opset {opset}, "
          f"{out.stat().st_size:,} bytes)")
    difference = _verify(proto, model, _example(config, CHECK_BATCH, rng))
    if difference is None:
        print("onnxruntime is not installed: the file was checked with onnx.checker only")
    else:
        print(f"ONNX Runtime vs nnblocks on {CHECK_BATCH} random inputs: max |difference| "
              f"{difference:.3g}")
    if "standardize" in config.get("data_info", {}):
        print("note: the graph expects standardized inputs; the statistics are in its metadata "
              "(nnblocks.standardize)")
    return 0


def cmd_onnx_info(args: argparse.Namespace) -> int:
    from nnblocks.cli.session import CLIError

    path = Path(args.checkpoint)
    if not path.is_file():
        raise CLIError(f"{path} not found")
    try:
        from nnblocks.onnx import summary
    except ImportError as e:
        raise CLIError(f"{e}") from None
    try:
        info = summary(path)
    except Exception as e:                        # onnx raises its own DecodeError types
        raise CLIError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from None
    print(f"file        {path}  (IR version {info['ir_version']}, producer "
          f"{info['producer'] or '?'})")
    opsets = ", ".join(f"{d or 'ai.onnx'} {v}" for d, v in info["opsets"].items())
    print(f"opset       {opsets}")
    for kind in ("inputs", "outputs"):
        for name, dtype, dims in info[kind]:
            shape = "(" + ", ".join(str(d) for d in dims) + ")"
            print(f"{kind[:-1]:<11} {name}  {dtype}  {shape}")
    print(f"parameters  {info['parameters']:,} in {info['initializers']} initializers")
    print(f"operators   {info['nodes']} nodes")
    width = max((len(op) for op in info["operators"]), default=0)
    for op, count in info["operators"].items():
        print(f"  {op:<{width}}  {count:>5}")
    for key, value in info["metadata"].items():
        shown = value if len(value) <= 80 else value[:77] + "..."
        print(f"metadata    {key} = {shown}")
    return 0
