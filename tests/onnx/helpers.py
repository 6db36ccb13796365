"""What the ONNX tests share: importing the reference tools and the round-trip check."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Tensor

#: ONNX Runtime must give nnblocks' eval outputs to this relative tolerance (float32); the
#: absolute tolerance is that fraction of the output's largest magnitude (for values near 0)
RTOL = 1e-5


def import_onnx() -> tuple[Any, Any]:
    """``(onnx, onnxruntime)``; skip when absent, except in CI where they must exist."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        import onnx
        import onnxruntime

        return onnx, onnxruntime
    return pytest.importorskip("onnx"), pytest.importorskip("onnxruntime")


def session(proto: Any) -> Any:
    """An ONNX Runtime CPU session of a model proto (one thread: the machine is shared)."""
    _, ort = import_onnx()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def eval_outputs(model: Any, x: np.ndarray) -> list[np.ndarray]:
    """nnblocks' eval-mode outputs of ``model(x)``, flattened like the ONNX graph outputs."""
    from nnblocks.onnx.trace import flatten_outputs

    was_training = model.training
    model.eval()
    with nb.no_grad():
        result = model(Tensor(x))
    model.train(was_training)
    return [y.array for y in flatten_outputs(result)]


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * max(scale, 1e-3),
                               err_msg=what)


def check_roundtrip(model: Any, make_input: Any, batches: Sequence[int], **export_args: Any
                    ) -> Any:
    """Export ``model`` at ``batches[0]`` (``make_input(n)`` gives a batch of n), check the
    model with onnx.checker, and compare ONNX Runtime with nnblocks at every batch size."""
    onnx, _ = import_onnx()
    proto = nb.onnx.export(model, make_input(batches[0]), **export_args)
    onnx.checker.check_model(proto, full_check=True)
    run = session(proto)
    names = [o.name for o in run.get_outputs()]
    feed_name = run.get_inputs()[0].name
    for n in batches:
        x = make_input(n)
        want = eval_outputs(model, x)
        got = run.run(names, {feed_name: x})
        assert len(got) == len(want)
        for k, (a, b) in enumerate(zip(got, want)):
            assert_close(a, b, f"{type(model).__name__} output {k} at batch {n}")
    return proto
