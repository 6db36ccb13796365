r"""``nnblocks demo perceptron``: Rosenblatt's rule separates separable data, fails on XOR, and a
2-layer MLP solves XOR.

1. Linearly separable points (two classes on either side of a line, with a margin
   :math:`\gamma`): :meth:`nnblocks.nn.Perceptron.fit` — Rosenblatt's error-correction rule
   :math:`w \leftarrow w + \eta\, y_i x_i` on every mistake — reaches an epoch with zero
   mistakes, after at most :math:`(R/\gamma)^2` mistakes in total (Novikoff's bound, with
   :math:`R = \max_i \lVert (x_i, 1) \rVert` and :math:`\gamma` the margin of the generating
   line in the same augmented coordinates).
2. XOR (four noisy clusters at :math:`(\pm 1, \pm 1)`, label 1 where the signs differ): no line
   separates it, so the rule keeps making mistakes in every epoch.
3. A multilayer perceptron with one hidden layer (two layers of weights,
   ``Linear(2, 8) → tanh → Linear(8, 2)``) trained by backpropagation and Adam on the
   cross-entropy classifies every XOR point correctly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.data import xor
from nnblocks.demos._plot import COLORS, new_figure, save

EPOCHS = 100        # perceptron epochs (it stops early once an epoch has no mistake)
MARGIN = 0.1        # half-width of the empty band around the generating line
MLP_STEPS = 300     # full-batch Adam steps for the MLP on XOR


def separable(n: int, rng: np.random.Generator, margin: float = MARGIN) -> tuple[np.ndarray,
                                                                                  np.ndarray,
                                                                                  np.ndarray]:
    """``n`` points in ``[-1, 1]^2`` at distance > ``margin`` from a random line through the
    square; returns ``X (n, 2)``, labels ``y (n,)`` in ``{-1, +1}`` and the line's augmented
    unit normal ``u (3,)`` (``y_i u·(x_i, 1) > 0`` for all i)."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])                    # (2,)
    offset = rng.uniform(-0.3, 0.3)
    points = []
    while sum(len(p) for p in points) < n:
        candidates = rng.uniform(-1.0, 1.0, size=(2 * n, 2))             # (2n, 2)
        distance = candidates @ normal + offset                          # (2n,)
        points.append(candidates[np.abs(distance) > margin])
    X = np.concatenate(points)[:n]                                       # (n, 2)
    y = np.where(X @ normal + offset > 0, 1.0, -1.0)                     # (n,)
    u = np.append(normal, offset)
    return X, y, u / np.linalg.norm(u)


def train_mlp(X: np.ndarray, y: np.ndarray, rng: np.random.Generator, steps: int = MLP_STEPS,
              hidden: int = 8) -> tuple[nn.MLP, list[float]]:
    """``MLP(2, [hidden], 2, tanh)`` trained full-batch by Adam on the cross-entropy; returns
    the model and the loss after each step."""
    model = nn.MLP(2, [hidden], 2, activation="tanh", dtype=np.float64, rng=rng)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    inputs = nb.tensor(X.astype(np.float64))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.array))
    return model, losses


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, n: int = 100,
        epochs: int = EPOCHS, mlp_steps: int = MLP_STEPS) -> dict:
    """Train both models; save ``out_dir/perceptron.png`` when matplotlib is available.

    Returns for the separable set: ``separable_mistakes`` (per epoch; the last is 0 when it
    converged), ``separable_errors`` (training errors of the final line), ``total_mistakes``,
    ``novikoff_bound``; for XOR: ``xor_mistakes`` (per epoch), ``xor_min_mistakes``,
    ``xor_perceptron_accuracy``, ``mlp_accuracy``, ``mlp_final_loss``; and ``figure``.
    """
    generator = get_rng(rng)
    X, y, u = separable(n, generator)
    unit = nn.Perceptron(2, dtype=np.float64)
    history = unit.fit(X, y, epochs=epochs, rng=generator)
    with nb.no_grad():
        predicted = unit(nb.tensor(X)).array                                  # (n,)
    augmented = np.hstack([X, np.ones((n, 1))])                              # (n, 3)
    gamma = float((y * (augmented @ u)).min())
    radius = float(np.linalg.norm(augmented, axis=1).max())
    results: dict = {
        "separable_mistakes": history,
        "separable_epochs": len(history),
        "separable_errors": int((predicted != y).sum()),
        "total_mistakes": int(sum(history)),
        "novikoff_bound": (radius / gamma) ** 2,
    }
    line = (unit.weight.array.copy(), float(unit.bias.array))

    Xx, yx = xor(n, noise=0.15, rng=generator)
    Xx = Xx.astype(np.float64)
    xor_unit = nn.Perceptron(2, dtype=np.float64)
    xor_history = xor_unit.fit(Xx, yx, epochs=epochs, rng=generator)
    with nb.no_grad():
        xor_predicted = xor_unit(nb.tensor(Xx)).array
    model, losses = train_mlp(Xx, yx, generator, mlp_steps)
    with nb.no_grad():
        mlp_predicted = model(nb.tensor(Xx)).array.argmax(axis=1)
    results.update({
        "xor_mistakes": xor_history,
        "xor_min_mistakes": int(min(xor_history)),
        "xor_perceptron_accuracy": float((xor_predicted == np.where(yx == 1, 1.0, -1.0)).mean()),
        "mlp_accuracy": float((mlp_predicted == yx).mean()),
        "mlp_final_loss": losses[-1] if losses else float("nan"),
    })
    xor_line = (xor_unit.weight.array.copy(), float(xor_unit.bias.array))
    results["figure"] = _figure((X, y, line), (Xx, yx, xor_line), model, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [
        f"separable data: {results['separable_errors']} training errors after "
        f"{results['separable_epochs']} epochs; {results['total_mistakes']} mistakes in total "
        f"(Novikoff bound (R/gamma)^2 = {results['novikoff_bound']:.0f})",
        f"XOR: perceptron never error-free (fewest mistakes in an epoch: "
        f"{results['xor_min_mistakes']}), final accuracy "
        f"{results['xor_perceptron_accuracy']:.2f}",
        f"XOR: 2-layer MLP accuracy {results['mlp_accuracy']:.2f} "
        f"(loss {results['mlp_final_loss']:.4f})",
    ]
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _draw_line(ax: object, weight: np.ndarray, bias: float, label: str) -> None:
    """The decision line ``w·x + b = 0`` over the plot's square."""
    t = np.linspace(-2.0, 2.0, 2)
    if abs(weight[1]) > abs(weight[0]):
        ax.plot(t, -(weight[0] * t + bias) / weight[1], color="black", label=label)
    elif abs(weight[0]) > 0:
        ax.plot(-(weight[1] * t + bias) / weight[0], t, color="black", label=label)


def _scatter(ax: object, X: np.ndarray, positive: np.ndarray) -> None:
    ax.scatter(*X[~positive].T, s=12, color=COLORS[0], marker="o", label="class -1 / 0")
    ax.scatter(*X[positive].T, s=14, color=COLORS[1], marker="^", label="class +1 / 1")


def _figure(separable_set: tuple, xor_set: tuple, model: nn.MLP, results: dict,
            out_dir: Path) -> str | None:
    fig = new_figure(15.0, 3.7)
    if fig is None:
        return None
    sep_ax, xor_ax, mlp_ax, hist_ax = fig.subplots(1, 4)
    X, y, (w, b) = separable_set
    _scatter(sep_ax, X, y > 0)
    _draw_line(sep_ax, w, b, "perceptron line")
    sep_ax.set_title(f"Separable: {results['separable_errors']} errors "
                     f"after {results['separable_epochs']} epochs", fontsize=10)
    Xx, yx, (wx, bx) = xor_set
    _scatter(xor_ax, Xx, yx == 1)
    _draw_line(xor_ax, wx, bx, "perceptron line")
    xor_ax.set_title(f"XOR: perceptron accuracy {results['xor_perceptron_accuracy']:.2f}",
                     fontsize=10)
    grid = np.linspace(-2.0, 2.0, 121)
    gx, gy = np.meshgrid(grid, grid)
    with nb.no_grad():
        logits = model(nb.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1))).array
    regions = logits.argmax(axis=1).reshape(gx.shape)
    mlp_ax.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    _scatter(mlp_ax, Xx, yx == 1)
    mlp_ax.set_title(f"XOR: 2-layer MLP accuracy {results['mlp_accuracy']:.2f}", fontsize=10)
    for ax in (sep_ax, xor_ax, mlp_ax):
        limit = 1.1 if ax is sep_ax else 2.0
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.legend(fontsize=7, loc="lower left")
    hist_ax.plot(np.arange(1, len(results["xor_mistakes"]) + 1), results["xor_mistakes"],
                 color=COLORS[3], label="XOR")
    hist_ax.plot(np.arange(1, len(results["separable_mistakes"]) + 1),
                 results["separable_mistakes"], color=COLORS[2], marker="o", markersize=3,
                 label="separable")
    hist_ax.set_xlabel("epoch")
    hist_ax.set_ylabel("mistakes in the epoch")
    hist_ax.set_title("Rosenblatt's rule: mistakes per epoch", fontsize=10)
    hist_ax.legend(fontsize=8)
    return save(fig, out_dir, "perceptron.png")
