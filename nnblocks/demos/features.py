r"""``nnblocks demo features``: what a trained CNN learns, layer by layer (in the spirit of
Zeiler & Fergus 2013).

A small CNN, ``Conv(1→8, 3×3) → ReLU → MaxPool 2 → Conv(8→16, 3×3) → ReLU → MaxPool 2 → Linear
(64 → 10)``, is trained with Adam on scikit-learn's 8×8 digits (1300 for training, the rest held
out). The lecture's claim: "ConvNets learn both hierarchical representations of the data and
decision boundaries on these representations at the same time". The demo shows

1. the first layer's filters, before (random) and after training, and a number that says they are
   no longer random: the correlation between horizontally or vertically neighbouring weights of
   a filter (≈ 0 for independent random weights; positive for smooth, stroke-like filters);
2. the feature maps of one held-out digit after each convolution block, and, for some units of the
   second block, the held-out digits that excite them most;
3. the hierarchy, measured: for each stage (pixels, block 1, block 2, class scores) the Fisher
   ratio of its representation, between-class scatter over within-class scatter,

   .. math::
       J = \frac{\sum_c N_c \lVert \mu_c - \mu \rVert^2}{\sum_c \sum_{i \in c}
           \lVert h_i - \mu_c \rVert^2},

   on the held-out digits, and the accuracy of a nearest-class-mean classifier on it (means from
   the training digits). In the trained network both grow with depth — each stage makes the
   classes more compact and further apart — while the same architecture with its random initial
   weights does not do this.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save, show_image

EPOCHS = 8
BATCH = 64
TRAIN_SIZE = 1300
STAGES = ("pixels", "block 1", "block 2", "class scores")
#: index in the Sequential after which each stage's representation is read (None: the input)
STAGE_AFTER = (None, 2, 5, 7)


def small_cnn(rng: np.random.Generator) -> nn.Sequential:
    """Conv(1→8) → ReLU → MaxPool 2 → Conv(8→16) → ReLU → MaxPool 2 → Flatten → Linear(64→10)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10, rng=rng),
    )


def representations(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """The representation of ``x`` at each of :data:`STAGES`, flattened to ``(N, features)``;
    also keeps the unpooled maps after each ReLU (index 1 and 4) in ``model``'s order."""
    out = [x.reshape(len(x), -1)]
    h = nb.tensor(x)
    with nb.no_grad():
        for i, layer in enumerate(model):
            h = layer(h)
            if i in STAGE_AFTER[1:]:
                out.append(h.array.reshape(len(x), -1))
    return out


def feature_maps(model: nn.Sequential, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maps after the first and second ReLU of one ``(1, 8, 8)`` image: ``(8, 8, 8)`` and
    ``(16, 4, 4)``."""
    h = nb.tensor(image[None])
    maps = []
    with nb.no_grad():
        for i, layer in enumerate(model):
            h = layer(h)
            if i in (1, 4):
                maps.append(h.array[0])
    return maps[0], maps[1]


def fisher_ratio(features: np.ndarray, labels: np.ndarray) -> float:
    """Between-class scatter over within-class scatter of ``features`` ``(N, F)``."""
    mean = features.mean(axis=0)                                           # (F,)
    between = 0.0
    within = 0.0
    for c in np.unique(labels):
        members = features[labels == c]                                    # (N_c, F)
        centre = members.mean(axis=0)                                      # (F,)
        between += len(members) * float(((centre - mean) ** 2).sum())
        within += float(((members - centre) ** 2).sum())
    return between / within


def nearest_mean_accuracy(train: np.ndarray, train_labels: np.ndarray, test: np.ndarray,
                          test_labels: np.ndarray) -> float:
    """Accuracy on ``test`` of the classifier "nearest class mean of ``train``"."""
    classes = np.unique(train_labels)
    centres = np.stack([train[train_labels == c].mean(axis=0) for c in classes])   # (C, F)
    distance = ((test[:, None, :] - centres[None]) ** 2).sum(axis=-1)              # (N, C)
    return float((classes[distance.argmin(axis=1)] == test_labels).mean())


def neighbour_correlation(weight: np.ndarray) -> float:
    """Correlation between horizontally and vertically adjacent weights within the filters of a
    ``(O, C, k, k)`` weight (each filter's mean removed first)."""
    w = weight.reshape(-1, *weight.shape[-2:])                             # (O C, k, k)
    w = w - w.mean(axis=(1, 2), keepdims=True)
    first = np.concatenate([w[:, :, :-1].ravel(), w[:, :-1, :].ravel()])
    second = np.concatenate([w[:, :, 1:].ravel(), w[:, 1:, :].ravel()])
    return float(np.corrcoef(first, second)[0, 1])


def train(model: nn.Sequential, x: np.ndarray, y: np.ndarray, epochs: int,
          rng: np.random.Generator) -> list[float]:
    """Adam (lr 0.01) on the cross-entropy; returns the mean loss of each epoch."""
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(nb.tensor(x[batch])), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.array))
        history.append(float(np.mean(losses)))
    return history


def _stage_scores(model: nn.Sequential, x: np.ndarray, y: np.ndarray, train_rows: np.ndarray,
                  test_rows: np.ndarray) -> tuple[list[float], list[float]]:
    train_reps = representations(model, x[train_rows])
    test_reps = representations(model, x[test_rows])
    fisher = [fisher_ratio(r, y[test_rows]) for r in test_reps]
    nearest = [nearest_mean_accuracy(a, y[train_rows], b, y[test_rows])
               for a, b in zip(train_reps, test_reps)]
    return fisher, nearest


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        epochs: int = EPOCHS) -> dict:
    """Train the CNN and measure its layers; save ``out_dir/features.png`` when matplotlib is
    available. Needs scikit-learn's digits.

    Returns ``test_accuracy``, ``loss`` (per epoch), ``filter_change`` (``||W - W_0|| /
    ||W_0||`` of the first layer), ``neighbour_correlation_init`` and ``_trained``,
    ``stages``, and per stage ``fisher_trained``, ``fisher_init``, ``nearest_mean_trained``,
    ``nearest_mean_init``; and ``figure``.
    """
    from nnblocks.data import load_digits

    generator = get_rng(rng)
    x, y = load_digits()                                                   # (N, 1, 8, 8)
    order = generator.permutation(len(x))
    train_rows, test_rows = order[:TRAIN_SIZE], order[TRAIN_SIZE:]
    model = small_cnn(generator)
    initial = model[0].weight.array.copy()                                  # (8, 1, 3, 3)
    fisher_init, nearest_init = _stage_scores(model, x, y, train_rows, test_rows)
    history = train(model, x[train_rows], y[train_rows], epochs, generator)
    fisher, nearest = _stage_scores(model, x, y, train_rows, test_rows)
    with nb.no_grad():
        scores = model(nb.tensor(x[test_rows])).array                       # (N_test, 10)
    trained = model[0].weight.array
    results = {
        "test_accuracy": float((scores.argmax(axis=1) == y[test_rows]).mean()),
        "loss": history,
        "filter_change": float(np.linalg.norm(trained - initial) / np.linalg.norm(initial)),
        "neighbour_correlation_init": neighbour_correlation(initial),
        "neighbour_correlation_trained": neighbour_correlation(trained),
        "stages": list(STAGES),
        "fisher_trained": fisher,
        "fisher_init": fisher_init,
        "nearest_mean_trained": nearest,
        "nearest_mean_init": nearest_init,
    }
    results["figure"] = _figure(model, initial, x[test_rows], results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [
        f"small CNN on digits: held-out accuracy {results['test_accuracy']:.3f} after "
        f"{len(results['loss'])} epochs",
        f"first-layer filters: ||W - W0|| / ||W0|| = {results['filter_change']:.2f}; "
        f"neighbouring-weight correlation {results['neighbour_correlation_init']:+.2f} at init, "
        f"{results['neighbour_correlation_trained']:+.2f} trained",
        "  stage          Fisher ratio (init -> trained)   nearest-class-mean acc. "
        "(init -> trained)",
    ]
    for i, stage in enumerate(results["stages"]):
        lines.append(f"  {stage:<13} {results['fisher_init'][i]:8.3f} -> "
                     f"{results['fisher_trained'][i]:8.3f}             "
                     f"{results['nearest_mean_init'][i]:.3f} -> "
                     f"{results['nearest_mean_trained'][i]:.3f}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _row_label(fig: Any, cell: Any, text: str) -> None:
    ax = fig.add_subplot(cell)
    ax.axis("off")
    ax.text(1.0, 0.5, text, ha="right", va="center", fontsize=9)


def _draw_layers(fig: Any, grid: Any, model: nn.Sequential, initial: np.ndarray,
                 test_x: np.ndarray) -> None:
    """Rows of the figure's left part: filters at init and trained, feature maps of one digit,
    and the digits that excite block-2 units most."""
    trained = model[0].weight.array
    limit = float(max(np.abs(initial).max(), np.abs(trained).max()))
    for row, weights in ((0, initial), (1, trained)):
        for j in range(8):
            show_image(fig.add_subplot(grid[row, j + 1]), weights[j, 0], f"{j}", cmap="RdBu_r",
                       vmin=-limit, vmax=limit)
    _row_label(fig, grid[0, 0], "layer-1 filters\nat init")
    _row_label(fig, grid[1, 0], "layer-1 filters\ntrained")
    digit = test_x[0]
    maps1, maps2 = feature_maps(model, digit)
    show_image(fig.add_subplot(grid[2, 0]), digit[0], "input")
    for j in range(8):
        show_image(fig.add_subplot(grid[2, j + 1]), maps1[j], f"block 1 · {j}", cmap="magma")
        show_image(fig.add_subplot(grid[3, j + 1]), maps2[j], f"block 2 · {j}", cmap="magma")
    _row_label(fig, grid[3, 0], "its feature\nmaps (ReLU)")
    # Zeiler & Fergus style: the held-out digits that excite a block-2 unit most
    with nb.no_grad():
        h = nb.tensor(test_x)
        for layer in list(model)[:5]:
            h = layer(h)
    strength = h.array.max(axis=(2, 3))                                     # (N, 16)
    for j in range(8):
        best = int(np.argmax(strength[:, j]))
        show_image(fig.add_subplot(grid[4, j + 1]), test_x[best, 0], f"top of unit {j}")
    _row_label(fig, grid[4, 0], "digit exciting\nblock-2 unit most")


def _draw_hierarchy(fig: Any, grid: Any, results: dict) -> None:
    """The figure's right part: Fisher ratio and nearest-class-mean accuracy per stage."""
    stages = np.arange(len(results["stages"]))
    for k, (key, label) in enumerate((("fisher", "Fisher ratio J (held out)"),
                                      ("nearest_mean", "nearest-class-mean accuracy"))):
        ax = fig.add_subplot(grid[k])
        ax.plot(stages, results[f"{key}_trained"], marker="o", color=COLORS[3],
                label="trained")
        ax.plot(stages, results[f"{key}_init"], marker="s", linestyle="--", color=COLORS[7],
                label="random init")
        ax.set_xticks(stages)
        ax.set_xticklabels(results["stages"], fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.legend(fontsize=8)
        if k == 0:
            ax.set_ylim(0.0, None)
            ax.set_title(f"Hierarchy: classes separate layer by layer\n(test accuracy "
                         f"{results['test_accuracy']:.3f})", fontsize=10)
        else:
            ax.set_xlabel("stage")


def _figure(model: nn.Sequential, initial: np.ndarray, test_x: np.ndarray, results: dict,
            out_dir: Path) -> str | None:
    fig = new_figure(14.0, 6.4)
    if fig is None:
        return None
    outer = fig.add_gridspec(1, 2, width_ratios=[2.3, 1])
    _draw_layers(fig, outer[0].subgridspec(5, 9, hspace=0.6), model, initial, test_x)
    _draw_hierarchy(fig, outer[1].subgridspec(2, 1, hspace=0.45), results)
    return save(fig, out_dir, "features.png")
