"""``nb.onnx.export`` itself: errors that name the block, what the graph looks like (names,
dynamic batch, pruning), several inputs and outputs, and primitives used in ``forward``."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
import nnblocks.functional as F
from nnblocks import nn
from nnblocks.core import Block, Tensor
from tests.onnx.helpers import assert_close, check_roundtrip, import_onnx, session


class Lambda(nn.Module):
    """A module whose forward is the given function (parameters as attributes)."""

    def __init__(self, fn, **params) -> None:
        super().__init__()
        self.fn = fn
        for name, p in params.items():
            setattr(self, name, p)

    def forward(self, x):
        return self.fn(self, x)


def _data(*shape: int):
    rng = np.random.default_rng(sum(shape))
    return lambda n: rng.standard_normal((n, *shape)).astype(np.float32)


def test_unsupported_block_error_names_it() -> None:
    import_onnx()

    class Cube(Block):
        @staticmethod
        def forward(x):
            return x ** 3, x

        @staticmethod
        def backward(x, gy):
            return (3 * x * x * gy,)

    model = Lambda(lambda self, x: Cube.apply(F.relu(x)))
    with pytest.raises(NotImplementedError, match=r"no ONNX converter for block .*Cube"):
        nb.onnx.export(model, np.zeros((2, 3), np.float32))
    loss = Lambda(lambda self, x: F.cross_entropy(x, np.zeros(2, np.int64)))
    with pytest.raises(NotImplementedError, match="CrossEntropy"):
        nb.onnx.export(loss, np.zeros((2, 3), np.float32), dynamic_batch=False)


def test_numpy_code_on_the_input_is_detected() -> None:
    """An array computed from the input outside blocks is a constant of the trace: the export
    refuses it instead of baking the example into the graph."""
    import_onnx()
    model = Lambda(lambda self, x: F.add(F.relu(x), np.tanh(x.array)))
    with pytest.raises(ValueError, match="computed outside nnblocks blocks"):
        nb.onnx.export(model, np.zeros((2, 3), np.float32))


def test_a_batch_dependent_shape_that_reshape_cannot_express_is_refused() -> None:
    import_onnx()
    model = Lambda(lambda self, x: x.reshape(x.shape[0] * 2, -1))
    with pytest.raises(ValueError, match=r"ReshapeBlock: .*dynamic_batch=False"):
        nb.onnx.export(model, np.zeros((3, 2, 3), np.float32))
    proto = nb.onnx.export(model, np.zeros((3, 2, 3), np.float32), dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [3, 2, 3]
    x = _data(2, 3)(3)
    got = session(proto).run(None, {"input": x})[0]
    assert_close(got, x.reshape(6, 3), "fixed batch")


def test_bad_arguments() -> None:
    import_onnx()
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="opset must be an int >= 17"):
        nb.onnx.export(model, np.zeros((2, 3), np.float32), opset=13)
    with pytest.raises(ValueError, match="expected 1 distinct input names"):
        nb.onnx.export(model, np.zeros((2, 3), np.float32), input_names=["a", "b"])


def test_names_files_training_mode_and_pruning(tmp_path) -> None:
    onnx, _ = import_onnx()
    rnn = nn.GRU(3, 4, batch_first=True, rng=np.random.default_rng(0))
    rnn.train()
    path = tmp_path / "gru.onnx"
    proto = nb.onnx.export(rnn, np.zeros((2, 5, 3), np.float32), path,
                           input_names=["x"], output_names=["y", "h_n"])
    assert rnn.training                                       # restored
    assert onnx.load(str(path)) == proto
    assert [i.name for i in proto.graph.input] == ["x"]
    assert [o.name for o in proto.graph.output] == ["y", "h_n"]
    assert {n for n, _ in rnn.named_parameters()} <= {t.name for t in proto.graph.initializer}
    # only the last output needed: the GRU stays, nothing computes what is unused
    last = Lambda(lambda self, x: self.rnn(x)[0][:, -1], rnn=rnn)
    proto = check_roundtrip(last, _data(5, 3), (2, 1, 4))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("GRU") == 1 and "Stack" not in ops


def test_outputs_that_are_inputs_or_repeated_get_an_identity() -> None:
    import_onnx()
    model = Lambda(lambda self, x: (x, F.relu(x), x))
    check_roundtrip(model, _data(4), (2, 3, 1))
    same = Lambda(lambda self, x: (lambda y: (y, y))(F.tanh(x)))
    check_roundtrip(same, _data(4), (2, 3, 1))


def test_several_inputs() -> None:
    import_onnx()

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2, rng=np.random.default_rng(1))

        def forward(self, a, b):
            return F.cat([self.fc(a), b], dim=1)

    model = Two()
    a, b = _data(3)(2), _data(5)(2)
    proto = nb.onnx.export(model, (a, b))
    got = session(proto).run(None, {"input_0": a, "input_1": b})[0]
    with nb.no_grad():
        want = model(Tensor(a), Tensor(b)).array
    assert_close(got, want, "two inputs")


PRIMITIVES = {
    "arithmetic": lambda self, x: (x * 2.0 + 1.0) / (x.abs() + 1.0) - x ** 2,
    "math": lambda self, x: F.exp(-x) + F.log(x.abs() + 1.0) + F.sqrt(x * x + 1.0),
    "extremes": lambda self, x: F.maximum(x, 0.1) + F.minimum(x, -0.1) + F.clamp(x, -0.5, 0.5),
    "where": lambda self, x: F.where(x > 0, x, x * 0.1) + F.where(x <= 0.5, 1.0, 0.0) * (x != 0),
    "index_array": lambda self, x: x[[1, 0, 1]].sum(dim=0) + x[:, 1:2],
    "compare": lambda self, x: F.where(F.ge(x, 0), x, -x) + F.where(F.lt(x, 0.5), 1.0, 2.0)
    + F.where(F.eq(x, x), 0.5, 0.0) + F.where(F.le(x, 0.2), 1.0, 0.0)
    + F.where(F.gt(x, 0.1), 1.0, 0.0),
    "matmul": lambda self, x: x @ self.w,
    "reductions": lambda self, x: F.stack([x.sum(dim=1), x.mean(dim=1), F.amax(x, dim=1),
                                           F.amin(x, dim=1), F.var(x, dim=1)], dim=1),
    "shapes": lambda self, x: F.cat([x.unsqueeze(1).permute(0, 2, 1).squeeze(2),
                                     F.pad(x, (1, 2))[:, 1:-2]], dim=1),
    "index": lambda self, x: F.cat([x[:, ::-1], x[:, 1:3], x[:, None, 0], x[..., -1:],
                                    x[:, -3::2]], dim=1),
    "split_expand": lambda self, x: F.split(x, [1, 3], dim=1)[1] + F.expand(
        x[:, :1], (x.shape[0], 3)),
    "softmax": lambda self, x: F.softmax(x, dim=-1) + F.log_softmax(x, dim=0),
    "sum_all": lambda self, x: x - x.sum(),
}


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_primitives_in_forward(name: str) -> None:
    import_onnx()
    w = nn.Parameter(np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32))
    model = Lambda(PRIMITIVES[name], w=w)
    check_roundtrip(model, _data(4), (3, 2, 5))


UNBATCHED = {
    "conv2d": (lambda rng: nn.Conv2d(2, 3, 3, padding=1, rng=rng), (2, 5, 6)),
    "conv1d": (lambda rng: nn.Conv1d(2, 3, 2, rng=rng), (2, 7)),
    "max_pool2d": (lambda rng: nn.MaxPool2d(2, ceil_mode=True), (2, 5, 5)),
    "avg_pool2d": (lambda rng: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 5, 5)),
    "max_pool1d": (lambda rng: nn.MaxPool1d(3, 2, 1, dilation=2), (2, 7)),
    "avg_pool1d": (lambda rng: nn.AvgPool1d(2), (3, 7)),
    "adaptive": (lambda rng: nn.AdaptiveAvgPool2d(3), (2, 5, 5)),
    "local2d": (lambda rng: nn.LocallyConnected2d(2, 3, (5, 6), 3, rng=rng), (2, 5, 6)),
    "local1d": (lambda rng: nn.LocallyConnected1d(2, 3, 7, 2, rng=rng), (2, 7)),
    "linear": (lambda rng: nn.Linear(7, 3, rng=rng), (7,)),
    "lstm": (lambda rng: nn.LSTM(7, 3, rng=rng), (4, 7)),
}


@pytest.mark.parametrize("name", list(UNBATCHED))
def test_unbatched_inputs(name: str) -> None:
    """Layers that accept an input without its batch axis export for that shape too."""
    import_onnx()
    rng = np.random.default_rng(len(name))
    build, shape = UNBATCHED[name]
    model = build(rng)
    x = rng.standard_normal(shape).astype(np.float32)
    proto = nb.onnx.export(model, x, dynamic_batch=False)
    got = session(proto).run(None, {"input": x})
    with nb.no_grad():
        want = model(Tensor(x))
    want = want if isinstance(want, tuple) else (want,)
    want = [w for item in want for w in (item if isinstance(item, tuple) else (item,))]
    for a, b in zip(got, want):
        assert_close(a, b.array, name)
