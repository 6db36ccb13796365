"""``export``: trace a model on an example input and write the equivalent ONNX graph.

What it does, step by step:

1. Run the model in eval mode on the example input, recording every block
   (:mod:`nnblocks.onnx.trace`). With ``dynamic_batch`` it runs a second time with another
   batch size, so it can tell what depends on the batch size (axis 0 of every input).
2. Convert each recorded block into ONNX operators with the converter registered for its class
   (:mod:`nnblocks.onnx.ops`); a block without one raises ``NotImplementedError`` naming it.
   Parameters and buffers become initializers named after their ``state_dict`` keys.
3. Drop nodes whose results nothing uses (a recurrent layer's final state when only its outputs
   are returned), name the inputs and outputs, check the model with ``onnx.checker``, and save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper

import nnblocks
from nnblocks.onnx import ops  # noqa: F401 - registers the converters
from nnblocks.onnx.graph import GraphBuilder, OpContext, onnx_dtype
from nnblocks.onnx.registry import converter_for
from nnblocks.onnx.trace import Trace, as_inputs, pair_traces, resized, run_trace

#: the default opset (ONNX 1.12+, ONNX Runtime 1.12+), as torch.onnx's default; the lowest
#: supported, for LayerNormalization
DEFAULT_OPSET = 17
MIN_OPSET = 17
#: name of the symbolic batch dimension of inputs and outputs
BATCH_DIM = "batch"


def export(
    model: Any,
    example_input: Any,
    path: str | Path | None = None,
    *,
    opset: int = DEFAULT_OPSET,
    dynamic_batch: bool = True,
    dynamic_axes: Mapping[int, str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    check: bool = True,
    metadata: dict[str, str] | None = None,
) -> onnx.ModelProto:
    """Export ``model`` to ONNX by tracing it on ``example_input`` (as ``torch.onnx.export``).

    Args:
        model: a module (or any callable applying nnblocks blocks); run in eval mode, its
            training mode restored afterwards.
        example_input: an array or tensor, or a tuple of them (one per positional argument).
            Its values do not matter, only shapes and dtypes; control flow that depends on the
            values is frozen as traced.
        path: where to write the ``.onnx`` file, or a binary file object (None: only return
            the model).
        opset: ONNX opset version (at least 17).
        dynamic_batch: make axis 0 of every input and the matching axis of every output a
            symbolic ``batch`` dimension. The model is traced twice (two batch sizes) to find
            what depends on it.
        dynamic_axes: more symbolic axes of the inputs, ``{axis: name}``, e.g. ``{1: "time"}``
            for sequences ``(N, T, D)``; varied together with the batch in the second trace.
        input_names, output_names: graph value names (default ``input``/``output``, numbered
            when there are several).
        check: run ``onnx.checker.check_model`` on the result.
        metadata: extra ``metadata_props`` (string keys and values).

    Returns:
        The ``onnx.ModelProto``.

    Raises:
        NotImplementedError: a block has no converter (the message names it).
        ValueError: the model depends on the batch size in a way the graph cannot express
            (NumPy code in ``forward``); a bad opset or name list.

    >>> import nnblocks as nb
    >>> model = nb.nn.Sequential(nb.nn.Linear(4, 3), nb.nn.ReLU())
    >>> proto = nb.onnx.export(model, np.zeros((2, 4), np.float32))
    >>> [n.op_type for n in proto.graph.node]
    ['Gemm', 'Relu']
    """
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"export: opset must be an int >= {MIN_OPSET}, got {opset!r}")
    inputs = as_inputs(example_input)
    axes = _dynamic_axes(dynamic_batch, dynamic_axes)
    trace = run_trace(model, inputs)
    second, symbols = _second_trace(model, trace, axes)
    in_names = _names(input_names, len(inputs), "input")
    out_names = _names(output_names, len(trace.outputs), "output")
    builder = GraphBuilder(opset, _state_names(model))
    for x, name in zip(inputs, in_names):
        builder.names[id(x)] = name
    _convert_ops(trace, builder)
    _bind_outputs(trace, builder, out_names)
    _prune(builder, out_names)
    graph = helper.make_graph(
        builder.nodes,
        "nnblocks",
        [_value_info(name, x.array, second.inputs[k].array if second else None, symbols)
         for k, (x, name) in enumerate(zip(inputs, in_names))],
        [_value_info(name, y.array, second.outputs[k].array if second else None, symbols)
         for k, (y, name) in enumerate(zip(trace.outputs, out_names))],
        initializer=list(builder.initializers.values()),
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="nnblocks",
                              producer_version=nnblocks.__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    proto.doc_string = f"exported from {type(model).__name__} by nnblocks"
    if metadata:
        helper.set_model_props(proto, {str(k): str(v) for k, v in metadata.items()})
    if check:
        onnx.checker.check_model(proto, full_check=True)
    if hasattr(path, "write"):
        path.write(proto.SerializeToString())
    elif path is not None:
        onnx.save(proto, str(path))
    return proto


def _second_trace(model: Any, trace: Trace, axes: dict[int, str]
                  ) -> tuple[Trace | None, dict[tuple[int, int], str]]:
    """Trace again with other sizes on the dynamic axes and pair the ops of both traces.
    Returns the second trace (None without dynamic axes) and ``{(size, other size): name}``."""
    if not axes:
        return None, {}
    sizes, symbols = {}, {}
    first = trace.inputs[0].array
    for j, (axis, name) in enumerate(sorted(axes.items())):
        size = first.shape[axis] if first.ndim > axis else 1
        sizes[axis] = size + 2 + j                      # a distinct (old, new) pair per axis
        symbols[(size, sizes[axis])] = name
    second = run_trace(model, resized(trace.inputs, sizes))
    pair_traces(trace, second)
    return second, symbols


def _dynamic_axes(dynamic_batch: bool, extra: Mapping[int, str] | None) -> dict[int, str]:
    axes = {0: BATCH_DIM} if dynamic_batch else {}
    for axis, name in (extra or {}).items():
        if not isinstance(axis, int) or axis < 0 or axis in axes or not str(name):
            raise ValueError(f"export: dynamic_axes must map new non-negative axes to names, "
                             f"got {dict(extra)!r}")
        axes[axis] = str(name)
    return axes


def _names(given: Sequence[str] | None, count: int, default: str) -> list[str]:
    if given is None:
        return [default] if count == 1 else [f"{default}_{k}" for k in range(count)]
    names = [str(n) for n in given]
    if len(names) != count or len(set(names)) != count:
        raise ValueError(f"export: expected {count} distinct {default} names, got {names}")
    return names


def _state_names(model: Any) -> dict[int, str]:
    """id(parameter tensor or buffer array) -> its state_dict key."""
    found: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            found.setdefault(id(p), name)
    if hasattr(model, "named_buffers"):
        for name, b in model.named_buffers():
            found.setdefault(id(b), name)
    return found


def _convert_ops(trace: Trace, builder: GraphBuilder) -> None:
    for k, op in enumerate(trace.ops):
        registered = converter_for(op.block)
        ctx = OpContext(op, builder)
        for key in op.hyper:
            if key not in registered.batch_hypers and ctx.varying(key) is not None:
                a, b = ctx.varying(key)
                raise ValueError(
                    f"export: {op.block.__name__}: hyper-parameter {key} depends on the batch "
                    f"size ({a!r} vs {b!r}); export with dynamic_batch=False"
                )
        builder.scope = f"{op.block.__name__}_{k}"
        names = registered.convert(ctx)
        if isinstance(names, str):
            names = [names]
        if len(names) != len(op.outputs):
            raise RuntimeError(f"export: the converter of {op.block.__name__} returned "
                               f"{len(names)} outputs, the block has {len(op.outputs)}")
        for y, name in zip(op.outputs, names):
            if name is not None:
                builder.names[id(y)] = name


def _bind_outputs(trace: Trace, builder: GraphBuilder, out_names: list[str]) -> None:
    """Make each model output a graph output of the given name (renaming the value that holds
    it, or through an Identity when it is an input, an initializer or already an output)."""
    taken = set(builder.names[id(x)] for x in trace.inputs)
    renames: dict[str, str] = {}
    for y, name in zip(trace.outputs, out_names):
        value = builder.names.get(id(y))
        if value is None:                      # a parameter or a constant returned as is
            value = builder.initializer(np.asarray(y.array))
        if value in taken or value in builder.initializers or value in renames:
            builder.scope = "output"
            builder.nodes.append(helper.make_node("Identity", [renames.get(value, value)],
                                                  [name], name=f"{name}_identity"))
        else:
            renames[value] = name
    for node in builder.nodes:
        node.input[:] = [renames.get(i, i) for i in node.input]
        node.output[:] = [renames.get(o, o) for o in node.output]


def _prune(builder: GraphBuilder, outputs: list[str]) -> None:
    """Drop nodes nothing needs for the outputs, then initializers no node reads."""
    needed = set(outputs)
    kept = []
    for node in reversed(builder.nodes):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    builder.nodes[:] = reversed(kept)
    builder.initializers = {k: v for k, v in builder.initializers.items() if k in needed}


def _value_info(name: str, value: np.ndarray, other: np.ndarray | None,
                symbols: dict[tuple[int, int], str]) -> onnx.ValueInfoProto:
    """Type and shape of a graph input or output; an axis whose size changed between the two
    traces gets the symbolic size of the dynamic axis that changed the same way (``batch``),
    or ``NAME_dimK``."""
    dims: list[Any] = list(value.shape)
    if other is not None and other.ndim == value.ndim:
        dims = [a if a == b else symbols.get((a, b), f"{name}_dim{k}")
                for k, (a, b) in enumerate(zip(value.shape, other.shape))]
    return helper.make_tensor_value_info(name, onnx_dtype(value.dtype), dims)
