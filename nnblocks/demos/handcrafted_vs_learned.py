r"""``nnblocks demo handcrafted-vs-learned``: designed features and a trained classifier, against
features learned together with the classifier.

The lecture contrasts traditional pattern recognition — a fixed, hand-crafted feature extractor
followed by a trainable classifier — with deep learning, where the features are trained too
("ConvNets learn both hierarchical representations of the data and decision boundaries on these
representations at the same time"). The demo runs the three pipelines on scikit-learn's 8×8
digits with the same classifier on top (a linear layer with softmax, trained by Adam on the
cross-entropy, the same epochs and batches):

1. **pixels**: no features, the linear classifier on the 64 pixels;
2. **hand-crafted**: a fixed bank of 8 filters designed by hand — Sobel edge detectors
   (horizontal, vertical, two diagonals) and Gabor filters
   :math:`g(u, v) = e^{-(u^2 + v^2) / 2\sigma^2} \cos(2\pi u' / \lambda)` with
   :math:`u' = u \cos\theta + v \sin\theta` at θ = 0°, 45°, 90°, 135° (σ = 1.2 px,
   λ = 4 px) — each response rectified (:math:`|\cdot|`) and max-pooled 2×2, then the linear
   classifier (128 features);
3. **learned**: the same shape of network, ``Conv2d(1→8, 3×3) → ReLU → MaxPool 2 → Linear``,
   with the 8 filters trained with the classifier by backpropagation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save, show_image
from nnblocks.demos.features import train
from nnblocks.demos.true_convolution import accuracy, small_cnn

EPOCHS = 20
TRAIN_SIZE = 1300
SIZE = 5                                 # side of the hand-crafted kernels
SIGMA, WAVELENGTH = 1.2, 4.0             # Gabor envelope width and period, in pixels
ANGLES = (0, 45, 90, 135)


def sobel_kernels() -> dict[str, np.ndarray]:
    """Sobel's 3×3 derivative kernels: horizontal and vertical edges, and the two diagonals."""
    gx = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    diagonal = np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]])
    return {"Sobel x": gx, "Sobel y": gx.T.copy(), "Sobel 45°": diagonal,
            "Sobel 135°": diagonal[:, ::-1].copy()}


def gabor_kernel(theta_degrees: float, size: int = SIZE) -> np.ndarray:
    """An even (cosine) Gabor kernel of orientation θ, zero mean, unit L2 norm: ``(size,
    size)``."""
    half = size // 2
    v, u = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    theta = np.deg2rad(theta_degrees)
    rotated = u * np.cos(theta) + v * np.sin(theta)
    g = np.exp(-(u ** 2 + v ** 2) / (2 * SIGMA ** 2)) * np.cos(2 * np.pi * rotated / WAVELENGTH)
    g -= g.mean()
    return g / np.linalg.norm(g)


def filter_bank() -> tuple[list[str], np.ndarray]:
    """Names and kernels ``(8, 1, 5, 5)`` of the hand-crafted bank (Sobel zero-padded to 5×5,
    each kernel scaled to unit L2 norm)."""
    names, kernels = [], []
    for name, k in sobel_kernels().items():
        pad = (SIZE - 3) // 2
        names.append(name)
        kernels.append(np.pad(k, pad) / np.linalg.norm(k))
    for angle in ANGLES:
        names.append(f"Gabor {angle}°")
        kernels.append(gabor_kernel(angle))
    return names, np.stack(kernels)[:, None].astype(np.float32)


def handcrafted_features(x: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """``maxpool2(|x ⋆ bank|)``: ``(N, 8, 4, 4)`` for 8×8 digits (fixed: no gradient)."""
    with nb.no_grad():
        maps = F.conv2d(nb.tensor(x), nb.tensor(bank), padding=SIZE // 2)   # (N, 8, 8, 8)
        return F.max_pool2d(F.abs(maps), 2).array                            # (N, 8, 4, 4)


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, epochs: int = EPOCHS,
        train_size: int = TRAIN_SIZE) -> dict:
    """Train the three pipelines; save ``out_dir/handcrafted_vs_learned.png`` when matplotlib
    is available. Needs scikit-learn's digits.

    Returns ``accuracy`` and ``parameters`` (trained) per pipeline (``pixels``,
    ``handcrafted``, ``learned``), ``filters`` (the bank's names), ``epochs`` and ``figure``.
    """
    from nnblocks.data import load_digits

    generator = get_rng(rng)
    x, y = load_digits()                                                   # (N, 1, 8, 8)
    order = generator.permutation(len(x))
    train_rows, test_rows = order[:train_size], order[train_size:]
    names, bank = filter_bank()
    features = handcrafted_features(x, bank)                               # (N, 8, 4, 4)
    models = {
        "pixels": (nn.Sequential(nn.Flatten(), nn.Linear(64, 10, rng=generator)), x),
        "handcrafted": (nn.Sequential(nn.Flatten(), nn.Linear(128, 10, rng=generator)),
                        features),
        "learned": (small_cnn(nn.Conv2d, generator), x),
    }
    seed = int(generator.integers(2**32))
    results: dict[str, Any] = {"accuracy": {}, "parameters": {}, "filters": names,
                               "epochs": int(epochs)}
    for name, (model, inputs) in models.items():
        train(model, inputs[train_rows], y[train_rows], epochs, np.random.default_rng(seed))
        results["accuracy"][name] = accuracy(model, inputs[test_rows], y[test_rows])
        results["parameters"][name] = model.num_parameters()
    learned = models["learned"][0][0].weight.array                          # (8, 1, 3, 3)
    results["figure"] = _figure(names, bank, learned, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    labels = {"pixels": "pixels -> linear classifier",
              "handcrafted": "Sobel + Gabor bank (fixed) -> linear classifier",
              "learned": "learned CNN filters -> linear classifier"}
    lines = [f"digits, {results['epochs']} epochs of Adam, held-out accuracy:",
             f"  {'pipeline':<50} {'accuracy':>8}  {'trained parameters':>18}"]
    for key, label in labels.items():
        lines.append(f"  {label:<50} {results['accuracy'][key]:8.3f}  "
                     f"{results['parameters'][key]:18,}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(names: list[str], bank: np.ndarray, learned: np.ndarray, results: dict,
            out_dir: Path) -> str | None:
    fig = new_figure(12.0, 4.6)
    if fig is None:
        return None
    grid = fig.add_gridspec(2, 11)
    for k in range(8):
        show_image(fig.add_subplot(grid[0, k]), bank[k, 0], names[k], cmap="RdBu_r")
        show_image(fig.add_subplot(grid[1, k]), learned[k, 0], f"learned {k}", cmap="RdBu_r")
    ax = fig.add_subplot(grid[:, 8:])
    keys = ["pixels", "handcrafted", "learned"]
    values = [results["accuracy"][k] for k in keys]
    ax.bar(range(3), values, color=COLORS[:3])
    for i, v in enumerate(values):
        ax.text(i, v + 0.002, f"{v:.3f}", ha="center", fontsize=8)
    ax.set_xticks(range(3), ["pixels", "Sobel/Gabor\n(designed)", "CNN\n(learned)"],
                  fontsize=8)
    ax.set_ylim(min(values) - 0.05, 1.0)
    ax.set_title("held-out accuracy, same linear classifier", fontsize=9)
    fig.suptitle("Features designed (top) vs learned (bottom)", fontsize=10)
    return save(fig, out_dir, "handcrafted_vs_learned.png")
