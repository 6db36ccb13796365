"""The models of issue 12 ("the shapes users bring"), written once for both frameworks.

Each builder takes a framework's ``nn`` module and returns the model; :data:`WIDE_NEEDS` lists
the names a model needs, :func:`wide_data` makes its synthetic batch. The cases themselves
(batch, optimizer, kind) are in :data:`benchmarks.cases.CASES`, numbers 8 and up.

Sizes, chosen to be what a user's first models look like:

- ``vgg``: two VGG stages on CIFAR-sized images, ``3×32×32``: conv3×3 3→32 (pad 1), BatchNorm,
  ReLU, maxpool 2; conv3×3 32→64, BatchNorm, ReLU, maxpool 2; linear 4096→10.
- ``mobilenet``: a MobileNet-v1 stem on ``3×32×32``: conv3×3 3→32 + BN + ReLU, then two
  depthwise-separable blocks (depthwise 3×3 stride 2, ``groups = C``, BN, ReLU; pointwise 1×1
  BN, ReLU) 32→64→128, global average pool, linear 128→10.
- ``pointwise``: 1×1 convolutions only, ``64×16×16`` → 128 → 128, ReLU, global average pool,
  linear 128→10.
- ``conv1d``: raw audio, 1 channel × 16,000 samples: conv1d k80 stride 4 1→32, BN, ReLU,
  maxpool 4, conv1d k3 32→64 (pad 1), BN, ReLU, maxpool 4, global average pool, linear 64→10
  (M5-like, the shape of PyTorch's speech-command tutorial).
- ``lstm``: LSTM input 64, hidden 256, T 100; last hidden state → linear 10.
- ``gru_bi``: GRU input 64, hidden 128, 2 layers, bidirectional, T 50; last step's output
  (both directions) → linear 10.
- ``char_lm``: embedding 96→64, LSTM hidden 512, T 64, and a vocabulary projection 512→96 at
  every step; cross-entropy over all ``T·N`` predictions.
- ``wide_mlp``: 3072-1024-1024-10 with BatchNorm1d, ReLU and Dropout(0.5) after each hidden
  layer (the parity check sets dropout's ``p`` to 0 in both frameworks: the two draw different
  masks).
- ``poly``: PyTorch's "polynomial fit by hand" tutorial loop at degree 15: ``y_hat = Σ_k w_k
  x^k`` on 2,000 points as 16 multiply-adds of tensors, squared-error loss, backward, and the
  hand-written update ``w_k -= lr · w_k.grad`` under ``no_grad``: ~100 tiny tensor operations
  per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

POLY_DEGREE = 15
POLY_POINTS = 2000
POLY_LR = 1e-6
LSTM_T = 100
GRU_T = 50
CHAR_T = 64
CHAR_VOCAB = 96
AUDIO_SAMPLES = 16000

_CONV = ("nn.Sequential", "nn.Conv2d", "nn.BatchNorm2d", "nn.ReLU", "nn.Flatten", "nn.Linear")

#: what each model needs from a framework (relative to its root package)
WIDE_NEEDS: dict[str, tuple[str, ...]] = {
    "vgg": _CONV + ("nn.MaxPool2d",),
    "mobilenet": _CONV + ("nn.AdaptiveAvgPool2d",),
    "pointwise": ("nn.Sequential", "nn.Conv2d", "nn.ReLU", "nn.AdaptiveAvgPool2d",
                  "nn.Flatten", "nn.Linear"),
    "conv1d": ("nn.Sequential", "nn.Conv1d", "nn.BatchNorm1d", "nn.ReLU", "nn.MaxPool1d",
               "nn.AdaptiveAvgPool1d", "nn.Flatten", "nn.Linear"),
    "lstm": ("nn.LSTM", "nn.Linear"),
    "gru_bi": ("nn.GRU", "nn.Linear"),
    "char_lm": ("nn.Embedding", "nn.LSTM", "nn.Linear"),
    "wide_mlp": ("nn.Sequential", "nn.Linear", "nn.BatchNorm1d", "nn.ReLU", "nn.Dropout"),
    "poly": (),
}


def _vgg(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 10),
    )


def _mobilenet(nn: Any) -> Any:
    def separable(c_in: int, c_out: int) -> list[Any]:
        return [nn.Conv2d(c_in, c_in, 3, stride=2, padding=1, groups=c_in, bias=False),
                nn.BatchNorm2d(c_in), nn.ReLU(),
                nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        *separable(32, 64), *separable(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10),
    )


def _pointwise(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(64, 128, 1), nn.ReLU(), nn.Conv2d(128, 128, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10),
    )


def _conv1d(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv1d(1, 32, 80, stride=4), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(4),
        nn.Conv1d(32, 64, 3, padding=1), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(4),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 10),
    )


def _wide_mlp(nn: Any) -> Any:
    return nn.Sequential(
        nn.Linear(3072, 1024), nn.BatchNorm1d(1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, 1024), nn.BatchNorm1d(1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, 10),
    )


def _recurrent(nn: Any, model: str) -> Any:
    class Recurrent(nn.Module):
        """LSTM / GRU over ``(T, N, 64)``; the last step's output goes through a linear layer."""

        def __init__(self) -> None:
            super().__init__()
            if model == "lstm":
                self.rnn = nn.LSTM(64, 256)
                width = 256
            else:
                self.rnn = nn.GRU(64, 128, num_layers=2, bidirectional=True)
                width = 256
            self.head = nn.Linear(width, 10)

        def forward(self, x: Any) -> Any:
            out, _ = self.rnn(x)                                 # (T, N, width)
            return self.head(out[-1])                            # (N, 10)

    return Recurrent()


def _char_lm(nn: Any) -> Any:
    class CharLM(nn.Module):
        """Embedding → LSTM(512) → vocabulary logits at every step, flattened to (T·N, V)."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(CHAR_VOCAB, 64)
            self.rnn = nn.LSTM(64, 512)
            self.head = nn.Linear(512, CHAR_VOCAB)

        def forward(self, tokens: Any) -> Any:
            out, _ = self.rnn(self.embed(tokens))                # (T, N, 512)
            return self.head(out.reshape(-1, 512))               # (T N, V)

    return CharLM()


def build_wide_model(nn: Any, model: str) -> Any:
    """The model named ``model`` built from the framework's ``nn`` module."""
    if model in ("lstm", "gru_bi"):
        return _recurrent(nn, model)
    builders = {"vgg": _vgg, "mobilenet": _mobilenet, "pointwise": _pointwise,
                "conv1d": _conv1d, "wide_mlp": _wide_mlp, "char_lm": _char_lm}
    return builders[model](nn)


def wide_data(model: str, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Synthetic float32 inputs (int64 tokens for ``char_lm``) and int64 targets."""
    if model == "poly":
        x = np.linspace(-1.0, 1.0, POLY_POINTS, dtype=np.float32)
        return {"x": x, "y": np.sin(np.float32(np.pi) * x).astype(np.float32),
                "w": rng.standard_normal(POLY_DEGREE + 1).astype(np.float32)}
    if model == "char_lm":
        tokens = rng.integers(0, CHAR_VOCAB, (CHAR_T + 1, batch)).astype(np.int64)
        return {"x": tokens[:-1], "y": tokens[1:].reshape(-1)}  # next character at each step
    shape = {
        "vgg": (batch, 3, 32, 32), "mobilenet": (batch, 3, 32, 32),
        "pointwise": (batch, 64, 16, 16), "conv1d": (batch, 1, AUDIO_SAMPLES),
        "lstm": (LSTM_T, batch, 64), "gru_bi": (GRU_T, batch, 64), "wide_mlp": (batch, 3072),
    }[model]
    return {"x": rng.standard_normal(shape, dtype=np.float32),
            "y": rng.integers(0, 10, batch).astype(np.int64)}


def poly_step(fw: Any, data: dict[str, np.ndarray]) -> Any:
    """One step of the hand-written polynomial fit (PyTorch's autograd tutorial, degree 15)."""
    x = fw.tensor(data["x"])
    y = fw.tensor(data["y"])
    powers = [fw.tensor(data["x"] ** k) for k in range(POLY_DEGREE + 1)]   # constants x^k
    weights = [fw.tensor(data["w"][k:k + 1].copy(), requires_grad=True)
               for k in range(POLY_DEGREE + 1)]
    del x

    def step() -> Any:
        y_hat = weights[0] * powers[0]
        for w, p in zip(weights[1:], powers[1:]):
            y_hat = y_hat + w * p                                # 2 ops per term
        loss = (y_hat - y).pow(2).sum()
        loss.backward()
        with fw.no_grad():
            for w in weights:
                w -= POLY_LR * w.grad                            # 2 ops per weight, in place
                w.grad = None
        return loss

    step.leaf = weights[1]                                       # for the parity check
    return step
