"""Shared test problems for the optimizers: a random quadratic and a small MLP, each runnable with
nnblocks' optimizers and with ``torch.optim`` from the same starting point."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

import nnblocks as nb
from nnblocks.nn import Parameter


class Quadratic:
    """f(w, W) = ½ wᵀAw − bᵀw + ½ Σ c ⊙ W², A SPD with eigenvalues in [0.5, 5]: two parameters.

    The gradient is one NumPy function, fed to both libraries.
    """

    def __init__(self, rng: np.random.Generator, dim: int = 6) -> None:
        q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
        self.A = q @ np.diag(np.linspace(0.5, 5.0, dim)) @ q.T          # (D, D)
        self.b = rng.normal(size=dim)                                    # (D,)
        self.c = rng.uniform(0.5, 3.0, size=(2, 3))                      # (2, 3)
        self.start = [rng.normal(size=dim), rng.normal(size=(2, 3))]

    def grads(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        w, W = arrays
        return [self.A @ w - self.b, self.c * W]

    def loss(self, arrays: list[np.ndarray]) -> float:
        w, W = arrays
        return float(0.5 * w @ self.A @ w - self.b @ w + 0.5 * np.sum(self.c * W * W))

    def set_grads(self, params: list[Parameter], sign: float) -> None:
        for p, g in zip(params, self.grads([p.array for p in params])):
            p.grad = sign * g

    def set_grads_torch(self, torch: Any, params: list[Any], sign: float) -> None:
        arrays = [p.detach().numpy() for p in params]
        for p, g in zip(params, self.grads(arrays)):
            p.grad = torch.from_numpy(sign * g)


class MLP:
    """Mean squared error of a 3-8-1 tanh network on 16 random points (4 parameters).

    ``set_grads`` / ``set_grads_torch`` feed both libraries the same hand-written NumPy backward
    pass (fast); with ``autograd=True`` each library computes its gradients with its own
    autograd instead (nnblocks writing tanh with ``exp``).
    """

    def __init__(self, rng: np.random.Generator, autograd: bool = False) -> None:
        self.autograd = autograd
        self.x = rng.normal(size=(16, 3))                                # (N, 3)
        self.y = np.sin(self.x @ np.array([[1.0], [-0.5], [0.3]]))       # (N, 1)
        self.start = [
            rng.normal(size=(8, 3)) * 0.5,                               # W1 (8, 3)
            rng.normal(size=8) * 0.1,                                    # b1 (8,)
            rng.normal(size=(1, 8)) * 0.5,                               # W2 (1, 8)
            rng.normal(size=1) * 0.1,                                    # b2 (1,)
        ]

    def grads(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        w1, b1, w2, b2 = arrays
        h = np.tanh(self.x @ w1.T + b1)                                  # (N, 8)
        out = h @ w2.T + b2                                              # (N, 1)
        g_out = 2.0 * (out - self.y) / out.size                          # (N, 1)
        g_z = (g_out @ w2) * (1.0 - h * h)                               # (N, 8)
        return [g_z.T @ self.x, g_z.sum(axis=0), g_out.T @ h, g_out.sum(axis=0)]

    def set_grads(self, params: list[Parameter], sign: float) -> None:
        if not self.autograd:
            for p, g in zip(params, self.grads([p.array for p in params])):
                p.grad = sign * g
            return
        w1, b1, w2, b2 = params
        for p in params:
            p.grad = None
        z = nb.tensor(self.x) @ w1.T + b1                                # (N, 8)
        h = 1.0 - 2.0 / (nb.exp(z * 2.0) + 1.0)                          # tanh(z)
        out = h @ w2.T + b2                                              # (N, 1)
        loss = ((out - nb.tensor(self.y)) ** 2).mean() * sign
        loss.backward()

    def set_grads_torch(self, torch: Any, params: list[Any], sign: float) -> None:
        if not self.autograd:
            arrays = [p.detach().numpy() for p in params]
            for p, g in zip(params, self.grads(arrays)):
                p.grad = torch.from_numpy(sign * g)
            return
        w1, b1, w2, b2 = params
        for p in params:
            p.grad = None
        out = torch.tanh(torch.from_numpy(self.x) @ w1.T + b1) @ w2.T + b2
        loss = ((out - torch.from_numpy(self.y)) ** 2).mean() * sign
        loss.backward()


def make_problem(name: str, rng: np.random.Generator) -> Quadratic | MLP:
    """``"quadratic"``, ``"mlp"`` (one NumPy gradient for both libraries) or ``"mlp-autograd"``."""
    if name == "quadratic":
        return Quadratic(rng)
    return MLP(rng, autograd=name == "mlp-autograd")


def run_ours(
    problem: Any,
    make_opt: Callable[[list[Parameter]], Any],
    steps: int,
    sign: float = 1.0,
    make_sched: Callable[[Any], Any] | None = None,
) -> tuple[list[np.ndarray], list[list[float]]]:
    """Final parameters and the learning rates used at each step."""
    params = [Parameter(a.copy()) for a in problem.start]
    opt = make_opt(params)
    sched = None if make_sched is None else make_sched(opt)
    rates = []
    for _ in range(steps):
        problem.set_grads(params, sign)
        rates.append([g["lr"] for g in opt.param_groups])
        opt.step()
        if sched is not None:
            sched.step()
    return [p.array for p in params], rates


def run_torch(
    torch: Any,
    problem: Any,
    make_opt: Callable[[list[Any]], Any],
    steps: int,
    sign: float = 1.0,
    make_sched: Callable[[Any], Any] | None = None,
) -> tuple[list[np.ndarray], list[list[float]]]:
    params = [torch.tensor(a.copy(), requires_grad=True) for a in problem.start]
    opt = make_opt(params)
    sched = None if make_sched is None else make_sched(opt)
    rates = []
    for _ in range(steps):
        problem.set_grads_torch(torch, params, sign)
        rates.append([g["lr"] for g in opt.param_groups])
        opt.step()
        if sched is not None:
            sched.step()
    return [p.detach().numpy() for p in params], rates


def assert_close_relative(ours: list[np.ndarray], theirs: list[np.ndarray], rtol: float) -> None:
    """Every element within ``rtol`` relative (plus 1e-12 absolute for values near zero)."""
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


# ---------------------------------------------------------------------- checkpoint emulation
def to_json_and_npz(obj: Any) -> tuple[str, bytes]:
    """Split a state dict into JSON text and an ``.npz`` of its arrays, refusing anything else
    (so a state dict that would need pickle fails the test)."""
    arrays: dict[str, np.ndarray] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"__array__": key}
        if isinstance(value, dict):  # JSON objects: integer keys come back as strings
            return {str(k): encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"not serializable without pickle: {type(value).__name__}")

    text = json.dumps(encode(obj))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return text, buffer.getvalue()


def from_json_and_npz(text: str, blob: bytes) -> Any:
    arrays = np.load(io.BytesIO(blob), allow_pickle=False)

    def decode(value: Any) -> Any:
        if isinstance(value, dict) and "__array__" in value:
            return arrays[value["__array__"]]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return decode(json.loads(text))
