"""Random compositions of every layer type: hypothesis builds ``Sequential`` models from the
layers of ``nnblocks.nn`` (with random hyper-parameters) on images ``(N, C, H, W)``, sequences
``(N, C, L)`` and feature vectors ``(N, D)``; each exports, passes ``onnx.checker``, and ONNX
Runtime gives nnblocks' eval outputs at the example batch size and two others.

A meta-test checks that the strategy can draw every layer class exported by ``nnblocks.nn``
(except containers, losses and helpers that are not layers), so a new layer needs a case here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnblocks import nn
from tests.onnx.helpers import check_roundtrip, import_onnx

Draw = Callable[[Any], Any]


class First(nn.Module):
    """The first output of a layer that returns a tuple (recurrent layers, LSTMCell)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: Any) -> Any:
        out = self.inner(x)
        while isinstance(out, tuple):
            out = out[0]
        return out


def _shape_after(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Output shape of ``layer`` for one batch of 2 of ``shape`` (None if it refuses it)."""
    layer.eval()
    try:
        from nnblocks.core import Tensor, no_grad

        with no_grad():
            return First(layer)(Tensor(np.zeros((2, *shape), np.float32))).shape[1:]
    except ValueError:
        return None


# ---------------------------------------------------------------------- one builder per layer
def _choice(draw: Draw, *values: Any) -> Any:
    return draw(st.sampled_from(values))


def _pool_size(draw: Draw, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """kernel, stride, dilation that fit the smallest spatial axis."""
    size = min(shape[1:])
    k = draw(st.integers(1, min(3, size)))
    dilation = draw(st.integers(1, 2)) if (k - 1) * 2 + 1 <= size else 1
    return k, draw(st.integers(1, 2)), dilation


def conv(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    c = shape[0]
    k, stride, dilation = _pool_size(draw, shape)
    groups = _choice(draw, *[g for g in (1, 2, 3) if c % g == 0])
    padding = _choice(draw, 0, k // 2, *(["same"] if stride == 1 else []))
    cls = nn.Conv2d if len(shape) == 3 else nn.Conv1d
    return cls(c, draw(st.integers(1, 3)) * groups, k, stride=stride, padding=padding,
               dilation=dilation, groups=groups, bias=draw(st.booleans()), rng=rng)


def conv_transpose(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    c = shape[0]
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    dilation = draw(st.integers(1, 2))
    groups = _choice(draw, *[g for g in (1, 2, 3) if c % g == 0])
    padding = draw(st.integers(0, (dilation * (k - 1)) // 2))
    extra = draw(st.integers(0, max(stride, dilation) - 1))
    cls = nn.ConvTranspose2d if len(shape) == 3 else nn.ConvTranspose1d
    return cls(c, draw(st.integers(1, 3)) * groups, k, stride=stride, padding=padding,
               output_padding=extra, groups=groups, bias=draw(st.booleans()),
               dilation=dilation, rng=rng)


def max_pool(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    k, stride, dilation = _pool_size(draw, shape)
    cls = nn.MaxPool2d if len(shape) == 3 else nn.MaxPool1d
    return cls(k, stride=_choice(draw, None, stride), padding=draw(st.integers(0, k // 2)),
               dilation=dilation, ceil_mode=draw(st.booleans()))


def avg_pool(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    k, stride, _ = _pool_size(draw, shape)
    extra = {"divisor_override": _choice(draw, None, 3)} if len(shape) == 3 else {}
    cls = nn.AvgPool2d if len(shape) == 3 else nn.AvgPool1d
    return cls(k, stride=_choice(draw, None, stride), padding=draw(st.integers(0, k // 2)),
               ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()), **extra)


def adaptive(cls: type) -> Callable[..., nn.Module]:
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        sizes = tuple(draw(st.integers(1, n + 1)) for n in shape[1:])
        return cls(sizes if len(sizes) == 2 else sizes[0])
    return build


def local(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    k, stride, _ = _pool_size(draw, shape)
    two = len(shape) == 3
    cls = nn.LocallyConnected2d if two else nn.LocallyConnected1d
    return cls(shape[0], draw(st.integers(1, 3)), shape[1:] if two else shape[1], k,
               stride=stride, padding=draw(st.integers(0, k // 2)), bias=draw(st.booleans()),
               rng=rng)


def _randomized(layer: nn.Module, rng: np.random.Generator) -> nn.Module:
    """Trained-looking parameters and running statistics (fresh ones are 1, 0 and 0, 1)."""
    for p in layer.parameters():
        p.array[...] = rng.normal(size=p.shape)
    for name, buffer in layer.named_buffers():
        if name.endswith("running_mean"):
            buffer[...] = rng.normal(size=buffer.shape)
        elif name.endswith("running_var"):
            buffer[...] = rng.uniform(0.5, 2.0, size=buffer.shape)
    return layer


def batch_norm(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
    return _randomized(cls(shape[0], affine=draw(st.booleans())), rng)


def sync_batch_norm(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    """Outside a process group (and in eval, as exported) it is plain batch normalization."""
    return _randomized(nn.SyncBatchNorm(shape[0], affine=draw(st.booleans())), rng)


def group_norm(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    c = shape[0]
    groups = _choice(draw, *[g for g in range(1, c + 1) if c % g == 0])
    return _randomized(nn.GroupNorm(groups, c, affine=draw(st.booleans())), rng)


def layer_norm(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    last = draw(st.integers(1, len(shape)))
    affine = draw(st.booleans())
    bias = draw(st.booleans())
    return _randomized(nn.LayerNorm(shape[-last:], elementwise_affine=affine, bias=bias), rng)


def recurrent(cls: type) -> Callable[..., nn.Module]:
    """A recurrent layer reading ``(N, T, D)`` (``batch_first``), or a cell reading ``(N, D)``."""
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        hidden = draw(st.integers(1, 4))
        if cls in (nn.RNNCell, nn.LSTMCell, nn.GRUCell):
            return First(cls(shape[0], hidden, bias=draw(st.booleans()), rng=rng))
        extra = {"nonlinearity": _choice(draw, "tanh", "relu")} if cls is nn.RNN else {}
        return First(cls(shape[-1], hidden, num_layers=draw(st.integers(1, 2)),
                         bias=draw(st.booleans()), batch_first=True,
                         bidirectional=draw(st.booleans()), rng=rng, **extra))
    return build


def plain(cls: type, *args: Any) -> Callable[..., nn.Module]:
    """A layer built from values drawn from the given lists."""
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        return cls(*[_choice(draw, *values) for values in args])
    return build


def softmax(cls: type) -> Callable[..., nn.Module]:
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        return cls(dim=draw(st.integers(-1, len(shape))))
    return build


def padding(cls: type) -> Callable[..., nn.Module]:
    """A padding layer whose widths fit the input (reflection needs them below the size)."""
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        spatial = list(reversed(shape[1:]))[:cls.dims]               # last axis first
        limit = min(spatial) - 1 if cls.mode == "reflect" else min(spatial)
        widths = [draw(st.integers(0, min(limit, 3))) for _ in range(2 * cls.dims)]
        if cls.mode == "constant" and not cls.__name__.startswith("Zero"):
            return cls(widths, draw(st.sampled_from([0.0, -1.5])))
        return cls(widths)
    return build


def upsample(cls: type) -> Callable[..., nn.Module]:
    def build(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
        spatial = shape[1:]
        by_size = draw(st.booleans())
        size = tuple(draw(st.integers(1, 2 * n + 1)) for n in spatial)
        size = size if len(size) > 1 else size[0]
        factor = draw(st.sampled_from([2.0, 1.5, 0.7]))
        if cls is not nn.Upsample:
            return cls(size=size) if by_size else cls(scale_factor=factor)
        linear = "bilinear" if len(spatial) == 2 else "linear"
        mode = draw(st.sampled_from(["nearest", "nearest-exact", linear]))
        corners = draw(st.booleans()) if mode == linear else None
        if by_size:
            return cls(size=size, mode=mode, align_corners=corners)
        return cls(scale_factor=factor, mode=mode, align_corners=corners)
    return build


def linear(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    return nn.Linear(shape[-1], draw(st.integers(1, 5)), bias=draw(st.booleans()), rng=rng)


def maxout(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    return nn.Maxout(shape[-1], draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                     bias=draw(st.booleans()), rng=rng)


def perceptron(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    return _randomized(nn.Perceptron(shape[0], threshold=_choice(draw, 0.0, 0.5)), rng)


def prelu(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    return _randomized(nn.PReLU(_choice(draw, 1, shape[0])), rng)


def glu(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    """GLU over an axis of even size (batch axis excluded), else after a Linear to 2 features."""
    even = [d + 1 for d, n in enumerate(shape) if n % 2 == 0]
    if even:
        return nn.GLU(_choice(draw, *even))
    return nn.Sequential(nn.Linear(shape[-1], 2, rng=rng), nn.GLU())


def unflatten(draw: Draw, shape: tuple[int, ...], rng: np.random.Generator) -> nn.Module:
    d = draw(st.integers(0, len(shape) - 1))
    n = shape[d]
    sizes = [(1, n), (n, 1), (1, -1)] + ([(2, n // 2), (-1, 2)] if n % 2 == 0 else [])
    return nn.Unflatten(d + 1, _choice(draw, *sizes))


ANY, FEATURES, SEQUENCES, IMAGES, SPATIAL = {1, 2, 3}, {1}, {2}, {3}, {2, 3}
#: layer class -> (example ranks it takes: 1 (D,), 2 (C, L), 3 (C, H, W); its builder)
LAYERS: dict[type, tuple[set[int], Callable[..., nn.Module]]] = {
    nn.Sigmoid: (ANY, plain(nn.Sigmoid)),
    nn.Tanh: (ANY, plain(nn.Tanh)),
    nn.ReLU: (ANY, plain(nn.ReLU)),
    nn.Identity: (ANY, plain(nn.Identity)),
    nn.LeakyReLU: (ANY, plain(nn.LeakyReLU, [0.01, 0.2])),
    nn.ELU: (ANY, plain(nn.ELU, [1.0, 0.5])),
    nn.Softplus: (ANY, plain(nn.Softplus, [1.0, 2.0], [20.0, 0.5])),
    nn.GELU: (ANY, plain(nn.GELU, ["none", "tanh"])),
    nn.SiLU: (ANY, plain(nn.SiLU)),
    nn.ReLU6: (ANY, plain(nn.ReLU6)),
    nn.Hardtanh: (ANY, plain(nn.Hardtanh, [-1.0, -0.25], [1.0, 2.0])),
    nn.PReLU: (ANY, prelu),
    nn.LogSigmoid: (ANY, plain(nn.LogSigmoid)),
    nn.Softsign: (ANY, plain(nn.Softsign)),
    nn.GLU: (ANY, glu),
    nn.Unflatten: ({1, 2}, unflatten),
    nn.Dropout: (ANY, plain(nn.Dropout, [0.0, 0.3])),
    nn.Dropout1d: (SEQUENCES, plain(nn.Dropout1d, [0.0, 0.3])),
    nn.Dropout2d: (IMAGES, plain(nn.Dropout2d, [0.0, 0.3])),
    nn.Softmax: (ANY, softmax(nn.Softmax)),
    nn.LogSoftmax: (ANY, softmax(nn.LogSoftmax)),
    nn.Linear: (ANY, linear),
    nn.Maxout: (ANY, maxout),
    nn.Perceptron: (FEATURES, perceptron),
    nn.BatchNorm1d: ({1, 2}, batch_norm),
    nn.BatchNorm2d: (IMAGES, batch_norm),
    nn.SyncBatchNorm: (ANY, sync_batch_norm),
    nn.GroupNorm: (SPATIAL, group_norm),
    nn.LayerNorm: (ANY, layer_norm),
    nn.Conv1d: (SEQUENCES, conv),
    nn.Conv2d: (IMAGES, conv),
    nn.ConvTranspose1d: (SEQUENCES, conv_transpose),
    nn.ConvTranspose2d: (IMAGES, conv_transpose),
    nn.MaxPool1d: (SEQUENCES, max_pool),
    nn.MaxPool2d: (IMAGES, max_pool),
    nn.AvgPool1d: (SEQUENCES, avg_pool),
    nn.AvgPool2d: (IMAGES, avg_pool),
    nn.AdaptiveAvgPool1d: (SEQUENCES, adaptive(nn.AdaptiveAvgPool1d)),
    nn.AdaptiveAvgPool2d: (IMAGES, adaptive(nn.AdaptiveAvgPool2d)),
    nn.AdaptiveMaxPool1d: (SEQUENCES, adaptive(nn.AdaptiveMaxPool1d)),
    nn.AdaptiveMaxPool2d: (IMAGES, adaptive(nn.AdaptiveMaxPool2d)),
    nn.GlobalAvgPool2d: (IMAGES, plain(nn.GlobalAvgPool2d)),
    nn.GlobalMaxPool2d: (IMAGES, plain(nn.GlobalMaxPool2d)),
    nn.LocallyConnected1d: (SEQUENCES, local),
    nn.LocallyConnected2d: (IMAGES, local),
    nn.Flatten: (SPATIAL, plain(nn.Flatten)),
    nn.RNN: (SEQUENCES, recurrent(nn.RNN)),
    nn.LSTM: (SEQUENCES, recurrent(nn.LSTM)),
    nn.GRU: (SEQUENCES, recurrent(nn.GRU)),
    nn.RNNCell: (FEATURES, recurrent(nn.RNNCell)),
    nn.LSTMCell: (FEATURES, recurrent(nn.LSTMCell)),
    nn.GRUCell: (FEATURES, recurrent(nn.GRUCell)),
    nn.ZeroPad1d: (SEQUENCES, padding(nn.ZeroPad1d)),
    nn.ZeroPad2d: (IMAGES, padding(nn.ZeroPad2d)),
    nn.ConstantPad1d: (SEQUENCES, padding(nn.ConstantPad1d)),
    nn.ConstantPad2d: (IMAGES, padding(nn.ConstantPad2d)),
    nn.ReflectionPad1d: (SEQUENCES, padding(nn.ReflectionPad1d)),
    nn.ReflectionPad2d: (IMAGES, padding(nn.ReflectionPad2d)),
    nn.ReplicationPad1d: (SEQUENCES, padding(nn.ReplicationPad1d)),
    nn.ReplicationPad2d: (IMAGES, padding(nn.ReplicationPad2d)),
    nn.CircularPad1d: (SEQUENCES, padding(nn.CircularPad1d)),
    nn.CircularPad2d: (IMAGES, padding(nn.CircularPad2d)),
    nn.Upsample: (SPATIAL, upsample(nn.Upsample)),
    nn.UpsamplingNearest2d: (IMAGES, upsample(nn.UpsamplingNearest2d)),
    nn.UpsamplingBilinear2d: (IMAGES, upsample(nn.UpsamplingBilinear2d)),
}


def example_shapes(rank: int) -> st.SearchStrategy:
    if rank == 3:
        return st.tuples(st.integers(1, 3), st.integers(3, 7), st.integers(3, 7))
    if rank == 2:
        return st.tuples(st.integers(1, 4), st.integers(3, 8))
    return st.tuples(st.integers(1, 6))


@st.composite
def models(draw: Draw, first: type | None = None) -> tuple[nn.Sequential, tuple[int, ...]]:
    """A Sequential of 1 to 4 layers (the first of class ``first`` when given) and the shape of
    one example."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ranks = sorted(LAYERS[first][0]) if first is not None else [1, 2, 3]
    shape = draw(example_shapes(draw(st.sampled_from(ranks))))
    current = shape
    layers = []
    for step in range(draw(st.integers(1, 4))):
        if not current:                              # a perceptron's (N,) output: done
            break
        options = [cls for cls, (ranks, _) in LAYERS.items() if len(current) in ranks]
        cls = first if step == 0 and first is not None else draw(st.sampled_from(options))
        layer = LAYERS[cls][1](draw, current, rng)
        after = _shape_after(layer, current)
        if after is None or 0 in after:
            if step == 0 and first is not None:
                raise AssertionError(f"{layer!r} refused an example of shape {current}")
            continue                                 # refused (too small): draw another
        layers.append(layer)
        current = after
    if not layers:
        layers.append(nn.Identity())
    return nn.Sequential(*layers), shape


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models(), st.integers(1, 4))
def test_random_composition_matches_onnxruntime(case: tuple, batch: int) -> None:
    import_onnx()
    model, shape = case
    rng = np.random.default_rng(batch)

    def make_input(n: int) -> np.ndarray:
        return rng.standard_normal((n, *shape)).astype(np.float32)

    check_roundtrip(model, make_input, (batch, batch + 1, 7))


#: classes in nnblocks.nn that are not layers of a feed-forward model
NOT_LAYERS = {"Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "MLP",
              "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss",
              "BCELoss", "HuberLoss", "L1Loss", "SmoothL1Loss", "KLDivLoss",
              "ParameterList", "ParameterDict",
              # Embedding takes integer ids, so it cannot be drawn into these float
              # compositions (its export: test_export_embedding.py)
              "Embedding"}


def test_every_layer_type_has_a_builder() -> None:
    layers = {getattr(nn, name) for name in dir(nn)
              if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)
              and name not in NOT_LAYERS}
    missing = sorted(c.__name__ for c in layers - set(LAYERS))
    assert not missing, f"no random-composition builder for {missing}"


@pytest.mark.parametrize("layer", list(LAYERS), ids=lambda c: c.__name__)
def test_each_layer_type_first(layer: type) -> None:
    """Every layer type exports, drawn with random settings as the first layer of a model."""
    import_onnx()

    @settings(max_examples=4, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(models(first=layer), st.integers(1, 3))
    def check(case: tuple, batch: int) -> None:
        test_random_composition_matches_onnxruntime.hypothesis.inner_test(case, batch)

    check()


@pytest.mark.parametrize("opset", [18, 21])
def test_newer_opsets(opset: int) -> None:
    """Reductions take their axes as an input from opset 18: adaptive max pooling, maxout."""
    import_onnx()
    rng = np.random.default_rng(opset)
    model = nn.Sequential(nn.AdaptiveMaxPool2d((2, 3)), nn.Flatten(), nn.Maxout(12, 3, 2, rng=rng),
                          nn.BatchNorm1d(3, track_running_stats=False))
    check_roundtrip(model, lambda n: rng.standard_normal((n, 2, 5, 5)).astype(np.float32),
                    (3, 2, 5), opset=opset)
