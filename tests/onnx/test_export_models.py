"""Every model of the zoo exports to ONNX and runs in ONNX Runtime with nnblocks' outputs, at the
example batch size and two others (the batch axis is dynamic)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.models import MODELS, build_model, model_config
from tests.onnx.helpers import assert_close, check_roundtrip, eval_outputs, import_onnx, session

#: model name -> [(settings, one example's shape, number of classes)]; every model is listed
CASES = {
    "mlp": [({}, (1, 8, 8), 10), ({"activation": "tanh", "hidden_sizes": [6, 5]}, (7,), 3)],
    "lenet": [({}, (1, 12, 12), 10), ({}, (3, 9, 10), 4)],
    "cnn-bn": [({"channels": [4, 6]}, (1, 8, 8), 10)],
    "rnn": [({"cell": "gru", "hidden_size": 6}, (5, 3), 4),
            ({"cell": "lstm", "hidden_size": 5, "num_layers": 2}, (4, 3), 3),
            ({"cell": "rnn", "hidden_size": 5}, (1, 6, 4), 10)],
    "charrnn": [({"cell": "lstm", "hidden_size": 8}, (7,), 6),
                ({"cell": "gru", "hidden_size": 5, "num_layers": 2}, (4,), 5),
                ({"cell": "rnn", "hidden_size": 5}, (4,), 5)],
}


def test_every_model_has_a_case() -> None:
    assert sorted(CASES) == sorted(MODELS)


def _randomize_statistics(model: object, rng: np.random.Generator) -> None:
    """BatchNorm running statistics of a trained model (fresh ones are 0 and 1)."""
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer[...] = rng.normal(size=buffer.shape)
        elif name.endswith("running_var"):
            buffer[...] = rng.uniform(0.5, 2.0, size=buffer.shape)


@pytest.mark.parametrize("name,case", [(n, k) for n in CASES for k in range(len(CASES[n]))])
def test_model_exports_and_matches_onnxruntime(name: str, case: int) -> None:
    import_onnx()
    settings, shape, classes = CASES[name][case]
    rng = np.random.default_rng(zlib.crc32(f"{name}-{case}".encode()))
    model = build_model(model_config(name, shape, classes, **settings), rng=rng)
    _randomize_statistics(model, rng)

    def make_input(n: int) -> np.ndarray:
        if name == "charrnn":
            return rng.integers(0, classes, size=(n, *shape))
        return rng.standard_normal((n, *shape)).astype(np.float32)

    proto = check_roundtrip(model, make_input, (3, 1, 6))
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    initializers = {t.name for t in proto.graph.initializer}
    assert {n for n, _ in model.named_parameters()} <= initializers


@pytest.mark.parametrize("name,settings,shape", [
    ("rnn", {"cell": "lstm", "hidden_size": 5}, (6, 3)),
    ("charrnn", {"cell": "gru", "hidden_size": 6}, (5,)),
])
def test_sequence_models_with_a_dynamic_time_axis(name: str, settings: dict, shape: tuple
                                                  ) -> None:
    """``dynamic_axes={1: "time"}``: one file for any batch size and any sequence length."""
    import_onnx()
    rng = np.random.default_rng(len(shape))
    model = build_model(model_config(name, shape, 4, **settings), rng=rng)

    def make(n: int, t: int) -> np.ndarray:
        if name == "charrnn":
            return rng.integers(0, 4, size=(n, t))
        return rng.standard_normal((n, t, *shape[1:])).astype(np.float32)

    proto = nb.onnx.export(model, make(2, shape[0]), dynamic_axes={1: "time"})
    dims = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim[:2]]
    assert dims == ["batch", "time"]
    run = session(proto)
    for n, t in ((2, shape[0]), (1, 9), (4, 2)):
        x = make(n, t)
        want = eval_outputs(model, x)[0]
        assert_close(run.run(None, {"input": x})[0], want, f"{name} at batch {n}, time {t}")
