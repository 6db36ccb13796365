"""Models, data and the training loop shared by the equivalence workers and the P=1 reference.

One definition, so the single-process reference (batch B) and every rank of an ``mpiexec`` run
(batch B / P) build the same float64 models from the same seed and read the same sample order.
"""

from __future__ import annotations

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
from nnblocks.data import ArrayDataset, DataLoader, DistributedSampler

GLOBAL_BATCH = 12          # divisible by 1, 2 and 3 processes
STEPS = 20
SEED = 1234
MODELS = ("mlp", "cnn", "rnn", "cnn_bn")
OPTIMIZERS = ("sgd", "adam")


class LastStep(nn.Module):
    """RNN over ``(N, T, D)``, then a linear layer on the last hidden state."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(5, 8, batch_first=True, dtype=np.float64)
        self.head = nn.Linear(8, 4, dtype=np.float64)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def build_model(name: str) -> nn.Module:
    nb.manual_seed(SEED)
    f64 = {"dtype": np.float64}
    if name == "mlp":
        return nn.Sequential(nn.Linear(8, 16, **f64), nn.Tanh(), nn.Linear(16, 4, **f64))
    if name in ("cnn", "cnn_bn"):
        layers = [nn.Conv2d(1, 4, 3, padding=1, **f64)]
        if name == "cnn_bn":
            layers.append(nn.BatchNorm2d(4, **f64))
        layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 4, **f64)]
        return nn.Sequential(*layers)
    if name == "rnn":
        return LastStep()
    raise KeyError(name)


def dataset(name: str) -> ArrayDataset:
    rng = np.random.default_rng(SEED)
    n = GLOBAL_BATCH * STEPS
    shape = {"mlp": (8,), "cnn": (1, 8, 8), "cnn_bn": (1, 8, 8), "rnn": (6, 5)}[name]
    x = rng.standard_normal((n, *shape))
    y = rng.integers(0, 4, n)
    return ArrayDataset(x, y)


def optimizer(kind: str, params) -> nb.optim.Optimizer:
    if kind == "sgd":
        return nb.optim.SGD(params, lr=0.1, momentum=0.9)
    return nb.optim.Adam(params, lr=0.01)


def loader(name: str, world: int, rank: int) -> DataLoader:
    data = dataset(name)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=SEED)
    return DataLoader(data, GLOBAL_BATCH // world, sampler=sampler)


def train(model: nn.Module, kind: str, batches: DataLoader) -> None:
    """STEPS optimizer steps; ``model`` may be a DistributedDataParallel wrapper."""
    opt = optimizer(kind, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    steps = 0
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        steps += 1
    assert steps == STEPS, steps


def final_state(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in model.state_dict().items()}
