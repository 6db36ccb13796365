"""The benchmark cases of issue 6, written once for both frameworks.

nnblocks mirrors PyTorch's API, so every model, loss and optimizer below is built from a
framework's own ``nn`` and ``optim`` modules by the same code: ``build_model(fw, case)`` with
``fw`` the nnblocks or the PyTorch adapter. Data is synthetic, float32, drawn from a NumPy
generator with a fixed seed, so both frameworks see the same arrays.

A case whose nnblocks layer or optimizer does not exist yet is reported as "not available"
(:func:`missing_names`) instead of failing the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.wide_cases import WIDE_NEEDS, build_wide_model, poly_step, wide_data

#: (batch, image side) of case 7; one axis at a time around case 2 (batch 64, 28×28)
SWEEP_POINTS = ((16, 28), (64, 28), (256, 28), (64, 56), (64, 112))
#: the full batch × image grid (``--sweep grid``): 9 points, the largest 64× case 2's work
SWEEP_GRID = tuple((b, s) for s in (28, 56, 112) for b in (16, 64, 256))
#: the subset of the sweep that ``--quick`` runs
QUICK_SWEEP = ((16, 28), (16, 56))

OPS_CHAIN = 1000            # case 6: number of chained element-wise ops per step
OPS_SIZE = 16               # case 6: elements per tensor


@dataclass(frozen=True)
class Case:
    """One benchmark: a model, a batch and what one timed step does.

    ``kind`` is ``"train"`` (zero_grad, forward, loss, backward, optimizer step), ``"infer"``
    (forward under no_grad in eval mode), ``"ops"`` (case 6: a chain of tiny ops + backward) or
    ``"loop"`` (case 18: a hand-written training loop of tiny tensor ops, one iteration a step).
    """

    key: str
    number: int
    title: str
    kind: str
    model: str
    batch: int
    optimizer: str | None = None
    image: int = 28

    @property
    def items(self) -> int:
        """What one step processes, for the throughput column: samples, or ops for case 6."""
        return OPS_CHAIN if self.kind == "ops" else self.batch

    @property
    def unit(self) -> str:
        return {"ops": "ops", "loop": "steps"}.get(self.kind, "samples")

    @property
    def needs(self) -> tuple[str, ...]:
        """Names (relative to the framework's root package) the case needs."""
        layers = {
            "mlp": ("nn.Sequential", "nn.Linear", "nn.ReLU"),
            "cnn": ("nn.Sequential", "nn.Conv2d", "nn.ReLU", "nn.MaxPool2d", "nn.Flatten",
                    "nn.Linear"),
            "cnn_bn": ("nn.Sequential", "nn.Conv2d", "nn.BatchNorm2d", "nn.ReLU",
                       "nn.MaxPool2d", "nn.Flatten", "nn.Linear"),
            "rnn": ("nn.RNN", "nn.Linear"),
            "ops": (),
            **WIDE_NEEDS,
        }[self.model]
        if self.kind == "train":
            layers += ("nn.CrossEntropyLoss", f"optim.{_OPTIMIZERS[self.optimizer]}")
        return layers


_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", None: ""}


def sweep_case(batch: int, image: int) -> Case:
    return Case(f"sweep_b{batch}_i{image}", 7, f"CNN sweep {image}×{image}",
                "train", "cnn", batch, "adam", image)


CASES: tuple[Case, ...] = (
    Case("mlp", 1, "MLP 784-256-256-10, SGD momentum", "train", "mlp", 128, "sgd"),
    Case("cnn", 2, "LeNet-like CNN, Adam", "train", "cnn", 64, "adam"),
    Case("cnn_bn", 3, "CNN + BatchNorm2d, Adam", "train", "cnn_bn", 64, "adam"),
    Case("rnn", 4, "tanh RNN T50 h128, Adam", "train", "rnn", 32, "adam"),
    Case("cnn_infer", 5, "CNN inference", "infer", "cnn", 256),
    Case("ops", 6, f"{OPS_CHAIN:,} chained add/mul (16 el.) + backward", "ops", "ops", 1),
    # issue 12: the shapes users bring (models in benchmarks/wide_cases.py)
    Case("vgg", 8, "VGG 3x3 convs + BN, 3x32x32, SGD momentum", "train", "vgg", 128, "sgd"),
    Case("vgg_infer", 9, "VGG inference", "infer", "vgg", 512),
    Case("vgg_b1", 10, "VGG inference, latency", "infer", "vgg", 1),
    Case("mobilenet", 11, "MobileNet depthwise s2 + pointwise, Adam", "train", "mobilenet", 64,
         "adam"),
    Case("pointwise", 12, "1x1 convs 64-128-128 on 16x16, Adam", "train", "pointwise", 64,
         "adam"),
    Case("conv1d", 13, "Conv1d k80 s4 on 16,000 samples, Adam", "train", "conv1d", 16, "adam"),
    Case("lstm", 14, "LSTM T100 h256, Adam", "train", "lstm", 64, "adam"),
    Case("gru_bi", 15, "GRU 2 layers bidir. T50 h128, Adam", "train", "gru_bi", 64, "adam"),
    Case("char_lm", 16, "char LSTM LM h512 V96, loss at 64 steps, Adam", "train", "char_lm",
         32, "adam"),
    Case("wide_mlp", 17, "MLP 3072-1024-1024-10 + BN1d + Dropout, AdamW", "train", "wide_mlp",
         256, "adamw"),
    Case("poly", 18, "tutorial loop: polynomial fit by hand (~100 tiny ops)", "loop", "poly", 1),
)


def find_case(key: str) -> Case:
    """The case named ``key`` (a key of :data:`CASES` or ``sweep_b<batch>_i<image>``)."""
    for case in CASES:
        if case.key == key:
            return case
    if key.startswith("sweep_b") and "_i" in key:
        batch, image = key[len("sweep_b"):].split("_i")
        return sweep_case(int(batch), int(image))
    raise KeyError(f"unknown benchmark case '{key}'")


# ---------------------------------------------------------------------- frameworks
@dataclass(frozen=True)
class Framework:
    """The few calls where nnblocks and PyTorch differ; everything else is the same code."""

    name: str                   # "nnblocks" or "pytorch"
    root: str                   # the importable package: "nnblocks" or "torch"

    def module(self, sub: str = "") -> Any:
        return importlib.import_module(f"{self.root}.{sub}" if sub else self.root)

    @property
    def nn(self) -> Any:
        return self.module("nn")

    @property
    def optim(self) -> Any:
        return self.module("optim")

    def tensor(self, array: np.ndarray, requires_grad: bool = False) -> Any:
        if self.root == "torch":
            t = self.module().from_numpy(np.ascontiguousarray(array))
            return t.requires_grad_(requires_grad)
        return self.module().tensor(array, requires_grad=requires_grad)

    def no_grad(self) -> contextlib.AbstractContextManager:
        return self.module().no_grad()

    def seed(self, seed: int) -> None:
        self.module().manual_seed(seed)


NNBLOCKS = Framework("nnblocks", "nnblocks")
PYTORCH = Framework("pytorch", "torch")
FRAMEWORKS = {fw.name: fw for fw in (NNBLOCKS, PYTORCH)}


def missing_names(fw: Framework, case: Case) -> list[str]:
    """The layers/optimizers the case needs that ``fw`` does not have (empty: runnable)."""
    missing = []
    for name in case.needs:
        sub, attr = name.split(".")
        try:
            mod = fw.module(sub)
        except ImportError:
            missing.append(f"{fw.root}.{sub}")
            continue
        if not hasattr(mod, attr):
            missing.append(f"{fw.root}.{name}")
    return sorted(set(missing))


# ---------------------------------------------------------------------- models and data
def _mlp(nn: Any) -> Any:
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def _cnn(nn: Any, image: int, batch_norm: bool) -> Any:
    def stage(c_in: int, c_out: int) -> list[Any]:
        layers = [nn.Conv2d(c_in, c_out, 5, 1, 2)]                # 5×5, stride 1, pad 2
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        return layers + [nn.ReLU(), nn.MaxPool2d(2)]

    side = image // 4                                            # two 2×2 poolings
    return nn.Sequential(
        *stage(1, 16), *stage(16, 32), nn.Flatten(),
        nn.Linear(32 * side * side, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def _rnn(nn: Any) -> Any:
    class RNNClassifier(nn.Module):
        """tanh RNN over (T, N, 64); the last hidden state goes through a linear layer."""

        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.RNN(64, 128)
            self.head = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            _, h = self.rnn(x)                                   # h: (1, N, 128)
            return self.head(h[0])                               # (N, 10)

    return RNNClassifier()


def build_model(fw: Framework, case: Case) -> Any:
    """The case's model in framework ``fw`` (parameters initialised by its default init)."""
    nn = fw.nn
    if case.model == "mlp":
        return _mlp(nn)
    if case.model in ("cnn", "cnn_bn"):
        return _cnn(nn, case.image, case.model == "cnn_bn")
    if case.model == "rnn":
        return _rnn(nn)
    if case.model in WIDE_NEEDS:
        return build_wide_model(nn, case.model)
    raise ValueError(f"case {case.key} has no model")


def make_data(case: Case, seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic float32 inputs and int64 class targets for one batch."""
    rng = np.random.default_rng(seed)
    if case.kind == "ops":
        return {
            "x": rng.standard_normal(OPS_SIZE, dtype=np.float32),
            "a": rng.uniform(0.99, 1.01, OPS_SIZE).astype(np.float32),   # stays finite
            "b": rng.standard_normal(OPS_SIZE, dtype=np.float32) * np.float32(0.01),
        }
    if case.model in WIDE_NEEDS:
        return wide_data(case.model, case.batch, rng)
    if case.model == "mlp":
        shape = (case.batch, 784)
    elif case.model == "rnn":
        shape = (50, case.batch, 64)                             # (T, N, D), batch_first=False
    else:
        shape = (case.batch, 1, case.image, case.image)
    return {
        "x": rng.standard_normal(shape, dtype=np.float32),
        "y": rng.integers(0, 10, case.batch).astype(np.int64),
    }


def make_optimizer(fw: Framework, case: Case, model: Any) -> Any:
    if case.optimizer == "sgd":
        return fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if case.optimizer == "adamw":
        return fw.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    return fw.optim.Adam(model.parameters(), lr=1e-3)


def make_step(fw: Framework, case: Case, model: Any, data: dict[str, np.ndarray]) -> Callable:
    """A function running one timed step and returning its loss (or output) tensor."""
    if case.kind == "loop":
        return poly_step(fw, data)
    if case.kind == "ops":
        x = fw.tensor(data["x"], requires_grad=True)
        a = fw.tensor(data["a"])
        b = fw.tensor(data["b"])

        def ops_step() -> Any:
            x.grad = None
            y = x
            for _ in range(OPS_CHAIN // 2):
                y = y * a
                y = y + b
            loss = y.sum()
            loss.backward()
            return loss

        ops_step.leaf = x                                        # for the parity check
        return ops_step

    x = fw.tensor(data["x"])
    if case.kind == "infer":
        model.eval()

        def infer_step() -> Any:
            with fw.no_grad():
                return model(x)

        return infer_step

    y = fw.tensor(data["y"])
    loss_fn = fw.nn.CrossEntropyLoss()
    opt = make_optimizer(fw, case, model)

    def train_step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return train_step


def warm_up_runtime(fw: Framework) -> None:
    """Run a tiny model once so the framework's lazily built runtime exists before measuring.

    PyTorch allocates ~90 MiB on its first operations (thread pools, MKL/oneDNN state),
    whatever the model; OpenBLAS allocates its buffers on its first GEMM; nnblocks loads its
    compiled kernels (numba; tens of MB, and seconds if they must be compiled). Without this
    the first case a worker runs would be charged for them. The model has a convolution with
    one and one with 16 input channels (nnblocks lays these out differently), batch norm when
    the framework has it, and two steps of each optimizer (momentum starts at the second).
    Uses only layers that exist.
    """
    rng = np.random.default_rng(0)
    a = fw.tensor(rng.standard_normal((256, 256), dtype=np.float32))
    _ = a @ a
    tiny = Case("warm_up", 0, "runtime warm-up", "train", "cnn", 2, "sgd")
    if missing_names(fw, tiny) or missing_names(fw, dataclasses.replace(tiny, optimizer="adam")):
        return
    nn = fw.nn
    norm = [nn.BatchNorm2d(16)] if hasattr(nn, "BatchNorm2d") else []
    model = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1), *norm, nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 2, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8, 4))
    x = fw.tensor(rng.standard_normal((4, 1, 8, 8), dtype=np.float32))
    y = fw.tensor(np.array([0, 1, 2, 3], dtype=np.int64))
    for opt in (fw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                fw.optim.Adam(model.parameters(), lr=1e-3)):
        for _ in range(2):
            opt.zero_grad()
            fw.nn.CrossEntropyLoss()(model(x), y).backward()
            opt.step()
    with fw.no_grad():
        model.eval()
        model(x)


def setup(fw: Framework, case: Case, seed: int = 0) -> tuple[Any, Callable]:
    """``(model, step)`` for the case in ``fw``; the model is None for case 6."""
    fw.seed(seed)
    model = None if case.kind in ("ops", "loop") else build_model(fw, case)
    return model, make_step(fw, case, model, make_data(case, seed))
