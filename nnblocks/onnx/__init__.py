"""ONNX export: ship a trained model to ONNX Runtime, C++, phones, other frameworks.

>>> import numpy as np
>>> import nnblocks as nb
>>> model = nb.nn.Sequential(nb.nn.Conv2d(1, 4, 3), nb.nn.ReLU(), nb.nn.Flatten())
>>> proto = nb.onnx.export(model, np.zeros((1, 1, 5, 5), np.float32))
>>> [n.op_type for n in proto.graph.node]
['Conv', 'Relu', 'Reshape']

:func:`export` traces the blocks a model applies to an example input (eval mode) and maps each
to ONNX operators with the converter registered for its class (:data:`CONVERTERS`, one module
per family in :mod:`nnblocks.onnx.ops`). :func:`load_weights` reads the initializers of an
exported graph back into a model of the same architecture; :func:`summary` describes a file.
Needs the ``onnx`` package (``pip install 'nnblocks[onnx]'``, with ``onnxruntime`` to run).
"""

try:
    import onnx  # noqa: F401
except ImportError as e:                               # pragma: no cover - depends on the env
    raise ImportError("nnblocks.onnx needs the onnx package: pip install 'nnblocks[onnx]'") \
        from e

from nnblocks.onnx.export import DEFAULT_OPSET, export
from nnblocks.onnx.registry import CONVERTERS, converts
from nnblocks.onnx.summary import load_weights, summary

__all__ = ["CONVERTERS", "DEFAULT_OPSET", "converts", "export", "load_weights", "summary"]
