"""Describe an ONNX file: inputs, outputs, opset, operator counts, parameters, metadata; and
read its initializers back into a model (:func:`load_weights`)."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper


def _dims(value: onnx.ValueInfoProto) -> tuple[Any, ...]:
    shape = value.type.tensor_type.shape
    return tuple(d.dim_param if d.dim_param else int(d.dim_value) for d in shape.dim)


def _dtype(value: onnx.ValueInfoProto) -> str:
    elem = value.type.tensor_type.elem_type
    return str(onnx.helper.tensor_dtype_to_np_dtype(elem))


def summary(path: str | Path) -> dict[str, Any]:
    """What ``nnblocks info FILE.onnx`` prints, as a dict.

    Keys: ``inputs`` and ``outputs`` (``[(name, dtype, shape)]``, symbolic sizes as strings),
    ``opsets`` (``{domain: version}``, ``''`` the default domain), ``ir_version``,
    ``producer``, ``operators`` (op type -> count, most frequent first), ``nodes``,
    ``initializers``, ``parameters`` (their element count), ``metadata``.
    """
    model = onnx.load(str(path))
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    counts = collections.Counter(node.op_type for node in graph.node)
    return {
        "inputs": [(v.name, _dtype(v), _dims(v)) for v in graph.input if v.name not in inits],
        "outputs": [(v.name, _dtype(v), _dims(v)) for v in graph.output],
        "opsets": {o.domain: int(o.version) for o in model.opset_import},
        "ir_version": int(model.ir_version),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "operators": dict(counts.most_common()),
        "nodes": len(graph.node),
        "initializers": len(graph.initializer),
        "parameters": int(sum(np.prod(t.dims, dtype=np.int64) for t in graph.initializer)),
        "metadata": {p.key: p.value for p in model.metadata_props},
    }


def load_weights(model: Any, onnx_file: str | Path | onnx.ModelProto, strict: bool = True
                 ) -> list[str]:
    """Copy the initializers of an exported graph into ``model``'s parameters and buffers.

    :func:`~nnblocks.onnx.export` names each parameter and buffer initializer after its
    ``state_dict`` key and stores it unchanged, so a model of the same architecture gets the
    exported weights back. Returns the state_dict keys that were loaded.

    Raises:
        KeyError: with ``strict``, a parameter of ``model`` has no initializer (parameters the
            traced forward never used are not exported; buffers it never read, such as
            BatchNorm's ``num_batches_tracked``, are skipped in any case).
        ValueError: an initializer's shape differs from the model's (names both).
    """
    proto = onnx_file if isinstance(onnx_file, onnx.ModelProto) else onnx.load(str(onnx_file))
    arrays = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    state = model.state_dict()
    missing = [k for k, _ in model.named_parameters() if k not in arrays]
    if strict and missing:
        raise KeyError(f"load_weights: the ONNX graph has no initializer for {missing}")
    loaded = {}
    for key, current in state.items():
        if key not in arrays:
            continue
        value = arrays[key]
        if value.shape != np.shape(current):
            raise ValueError(f"load_weights: {key} has shape {value.shape} in the ONNX graph, "
                             f"{np.shape(current)} in the model")
        loaded[key] = value
    model.load_state_dict(loaded, strict=False)
    return list(loaded)
