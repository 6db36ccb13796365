"""Build an ONNX graph: value names, initializers, nodes, and the context each converter gets.

:class:`GraphBuilder` owns the graph being built. :class:`OpContext` is what a converter sees of
one traced op: its inputs as ONNX value names (parameters and buffers become initializers named
after the model's ``state_dict`` keys, other constants become initializers named ``const_k``),
the arrays and shapes of the trace, and the hyper-parameters.

Dynamic batch: the model is traced at two batch sizes. A constant that differs between them was
computed from the input outside any block (NumPy code in ``forward``): the graph could not
reproduce it, so using it raises an error. A hyper-parameter that differs (a reshape to the
batch size) must be handled by the converter, which declares it (see :mod:`.registry`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from nnblocks.core import Tensor
from nnblocks.onnx.trace import Op, same_value


def onnx_dtype(dtype: Any) -> int:
    """The ONNX element type of a NumPy dtype."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class GraphBuilder:
    """Nodes and initializers of the graph being exported, and fresh value names."""

    def __init__(self, opset: int, state_names: dict[int, str]) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self.names: dict[int, str] = {}            # id(tensor) -> value name
        self.state_names = state_names             # id(parameter or buffer) -> state_dict key
        self._counts: dict[str, int] = {}
        self.scope = "graph"

    def fresh(self, hint: str) -> str:
        k = self._counts.get(hint, 0)
        self._counts[hint] = k + 1
        return f"{hint}_{k}"

    # ------------------------------------------------------------------ initializers
    def initializer(self, array: Any, name: str | None = None) -> str:
        """Add ``array`` as an initializer (a new ``const_k`` unless named) and return its name."""
        if name is None:
            name = self.fresh("const")
        elif name in self.initializers:
            return name
        self.initializers[name] = numpy_helper.from_array(np.asarray(array), name)
        return name

    def ints(self, values: Any) -> str:
        """A 1-D int64 constant (shapes, axes, slice bounds)."""
        return self.initializer(np.asarray(values, dtype=np.int64).reshape(-1))

    def scalar(self, value: Any, dtype: Any) -> str:
        return self.initializer(np.asarray(value, dtype=dtype))

    # ------------------------------------------------------------------ nodes
    def node(self, op_type: str, inputs: list[str | None], outputs: int = 1,
             **attrs: Any) -> Any:
        """Append a node; returns its output name (or a list of names when ``outputs > 1``)."""
        names = [self.fresh(f"{self.scope}/{op_type}") for _ in range(outputs)]
        inputs = list(inputs)
        while inputs and inputs[-1] is None:         # absent optional inputs at the end are
            inputs.pop()                             # left out (ORT mishandles some as "")
        self.nodes.append(helper.make_node(
            op_type, ["" if i is None else i for i in inputs], names,
            name=self.fresh(f"{self.scope}/{op_type}_node"),
            **{k: v for k, v in attrs.items() if v is not None},
        ))
        return names[0] if outputs == 1 else names

    def reduce(self, op_type: str, x: str, axes: Any, keepdims: bool) -> str:
        """A Reduce* node over ``axes``: an attribute before opset 18, an input from 18 on
        (ReduceSum takes them as an input from opset 13)."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdims))

    def squeeze(self, x: str, axes: Any) -> str:
        return self.node("Squeeze", [x, self.ints(axes)])

    def unsqueeze(self, x: str, axes: Any) -> str:
        return self.node("Unsqueeze", [x, self.ints(axes)])

    def reshape(self, x: str, shape: Any) -> str:
        """Reshape to ``shape``; a 0 copies the input's size on that axis, -1 is inferred."""
        return self.node("Reshape", [x, self.ints(shape)])

    def transpose(self, x: str, perm: Any) -> str:
        return self.node("Transpose", [x], perm=[int(p) for p in perm])

    def slice(self, x: str, starts: Any, ends: Any, axes: Any, steps: Any = None) -> str:
        inputs = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None:
            inputs.append(self.ints(steps))
        return self.node("Slice", inputs)


class OpContext:
    """One traced op as a converter sees it.

    Attributes:
        op: the traced :class:`~nnblocks.onnx.trace.Op`.
        hyper: its hyper-parameters (from the trace at the example batch size).
        g: the :class:`GraphBuilder`.
        name: the block's class name, for error messages.
    """

    def __init__(self, op: Op, builder: GraphBuilder) -> None:
        self.op = op
        self.hyper = op.hyper
        self.g = builder
        self.name = op.block.__name__

    @property
    def opset(self) -> int:
        return self.g.opset

    # ------------------------------------------------------------------ trace values
    def array(self, i: int) -> np.ndarray | None:
        """Input ``i`` as the trace saw it (None for an absent optional input)."""
        x = self.op.inputs[i] if i < len(self.op.inputs) else None
        if x is None:
            return None
        return np.asarray(getattr(x, "array", x))

    def shape(self, i: int) -> tuple[int, ...]:
        return self.array(i).shape

    def ndim(self, i: int) -> int:
        return self.array(i).ndim

    def dtype(self, i: int) -> np.dtype:
        return self.array(i).dtype

    def out_array(self, k: int = 0) -> np.ndarray:
        return self.op.outputs[k].array

    def is_traced(self, i: int) -> bool:
        """Whether input ``i`` is computed by the graph (an input or an op's output)."""
        x = self.op.inputs[i] if i < len(self.op.inputs) else None
        return isinstance(x, Tensor) and id(x) in self.g.names

    def is_constant(self, i: int) -> bool:
        """Whether input ``i`` is a constant: neither computed by the graph nor a parameter."""
        x = self.op.inputs[i] if i < len(self.op.inputs) else None
        return x is not None and not self.is_traced(i) and id(x) not in self.g.state_names

    def error(self, message: str) -> ValueError:
        return ValueError(f"export: {self.name}: {message}")

    # ------------------------------------------------------------------ ONNX values
    def input(self, i: int, dtype: Any = None) -> str | None:
        """The ONNX value name of input ``i``: a graph value, a parameter or buffer initializer
        (named after its state_dict key), or a constant initializer. Python numbers become
        constants of ``dtype`` (default: the dtype of the op's first output)."""
        x = self.op.inputs[i] if i < len(self.op.inputs) else None
        if x is None:
            return None
        if isinstance(x, Tensor) and id(x) in self.g.names:
            return self.g.names[id(x)]
        state = self.g.state_names.get(id(x))
        if state is not None:
            return self.g.initializer(np.asarray(getattr(x, "array", x)), state)
        self._check_constant(i)
        if isinstance(x, (bool, int, float)):
            if dtype is None:
                dtype = self.out_array(0).dtype
            return self.g.scalar(x, dtype)
        value = np.asarray(getattr(x, "array", x))
        if dtype is not None:
            value = value.astype(dtype)
        return self.g.initializer(value)

    def input_as(self, i: int, dtype: Any) -> str | None:
        """Input ``i`` in ``dtype``: constants are made in it, graph values of another dtype
        go through a Cast (ONNX operators need equal input types, NumPy promotes)."""
        name = self.input(i, dtype)
        if name is not None and self.is_traced(i) and self.dtype(i) != np.dtype(dtype):
            name = self.g.node("Cast", [name], to=onnx_dtype(dtype))
        return name

    def _check_constant(self, i: int) -> None:
        partner = self.op.partner
        if partner is None:
            return
        other = partner.inputs[i]
        if not same_value(self.op.inputs[i], other):
            raise self.error(
                f"input {i} is an array computed outside nnblocks blocks that changes with the "
                f"batch size (shape {np.shape(getattr(self.op.inputs[i], 'array', 0))} vs "
                f"{np.shape(getattr(other, 'array', other))}): the graph cannot reproduce NumPy "
                "code in forward; compute it with blocks (nnblocks.functional) or export with "
                "dynamic_batch=False"
            )

    def varying(self, key: str) -> tuple[Any, Any] | None:
        """``(value, value at the other batch size)`` of a hyper-parameter that depends on the
        batch size, or None when it does not."""
        partner = self.op.partner
        if partner is None or same_value(self.hyper.get(key), partner.hyper.get(key)):
            return None
        return self.hyper.get(key), partner.hyper.get(key)
