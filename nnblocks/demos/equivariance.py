r"""``nnblocks demo equivariance``: convolution commutes with translation, and a fully
convolutional network takes inputs of any size.

1. **Equivariance** (a consequence of parameter sharing): a function f is equivariant to g when
   :math:`f(g(x)) = g(f(x))`. With g a translation by :math:`(\delta_y, \delta_x)` pixels and
   f a ``Conv2d`` (random weights), ``conv(shift(x)) == shift(conv(x))`` at every position away
   from the borders (where the zero padding and the wrapped-around pixels differ); the demo
   reports the largest difference there and, for contrast, at the borders.
2. **Inputs of variable size**: a network of convolutions, ReLUs, one max pooling and a *global*
   max pooling over all positions (``Conv → ReLU → Conv → ReLU → MaxPool → Conv(→ 10 classes) →
   GlobalMaxPool2d``) has no layer whose size depends on the input's, so the same weights
   classify images of any size. It is trained on scikit-learn's 8×8 digits placed at random
   positions on blank canvases of 8×8 and 12×12, and tested on held-out digits on canvases of
   several sizes, including sizes it never saw. A fully connected classifier cannot even be
   applied to a second size: its ``Linear`` layer raises an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save, show_image

SHIFT = (3, 5)                 # (rows, columns) of the translation
TRAIN_SIZES = (8, 12)          # canvas sides seen in training
TEST_SIZES = (8, 12, 16, 24)   # canvas sides of the test
EPOCHS = 10
BATCH = 64


def translate(x: np.ndarray, shift: Sequence[int]) -> np.ndarray:
    """``x`` (``(..., H, W)``) translated by ``shift = (dy, dx)`` with wrap-around."""
    return np.roll(x, tuple(shift), axis=(-2, -1))


def equivariance_error(image: np.ndarray, rng: np.random.Generator,
                       shift: Sequence[int] = SHIFT) -> tuple[float, float, dict]:
    """Compare ``conv(shift(x))`` with ``shift(conv(x))`` for a random ``Conv2d(1, 4, 5,
    padding=2)`` (float64) on ``image`` (``(H, W)``).

    Returns the largest absolute difference away from the borders (positions farther than the
    shift plus the kernel radius from every edge), the largest one over the whole map, and the
    maps (``x``, ``shift_x``, ``conv_x``, ``conv_shift_x``, ``diff``, each ``(H, W)``, channel 0
    of the convolutions).
    """
    conv = nn.Conv2d(1, 4, 5, padding=2, dtype=np.float64, rng=rng)
    x = image[None, None].astype(np.float64)                               # (1, 1, H, W)
    with nb.no_grad():
        a = conv(nb.tensor(translate(x, shift))).array                      # (1, 4, H, W)
        b = translate(conv(nb.tensor(x)).array, shift)                      # (1, 4, H, W)
    diff = np.abs(a - b)[0]                                                 # (4, H, W)
    my, mx = abs(shift[0]) + 2, abs(shift[1]) + 2                           # shift + radius
    inner = diff[:, my:-my, mx:-mx]
    with nb.no_grad():
        conv_x = conv(nb.tensor(x)).array[0, 0]                             # (H, W)
    maps = {"x": x[0, 0], "shift_x": translate(x, shift)[0, 0], "conv_x": conv_x,
            "conv_shift_x": a[0, 0], "diff": diff[0]}
    return float(inner.max()), float(diff.max()), maps


def place_on_canvas(images: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Put each ``(N, 1, h, w)`` image at a random position on a blank ``size × size``
    canvas."""
    n, c, h, w = images.shape
    out = np.zeros((n, c, size, size), dtype=images.dtype)                  # (N, 1, S, S)
    rows = rng.integers(0, size - h + 1, size=n)
    cols = rng.integers(0, size - w + 1, size=n)
    for i in range(n):
        out[i, :, rows[i]:rows[i] + h, cols[i]:cols[i] + w] = images[i]
    return out


def fully_convolutional(rng: np.random.Generator) -> nn.Sequential:
    """Conv(1→8) → ReLU → Conv(8→16) → ReLU → MaxPool 2 → Conv(16→10) → global max pool."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 10, 3, padding=1, rng=rng),
        nn.GlobalMaxPool2d(),
    )


def train_fcn(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, epochs: int,
              sizes: Sequence[int] = TRAIN_SIZES) -> tuple[nn.Sequential, list[float]]:
    """Train :func:`fully_convolutional` with Adam, each mini-batch on canvases of one of
    ``sizes`` in turn; returns the model and the mean loss of each epoch."""
    model = fully_convolutional(rng)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for step, start in enumerate(range(0, len(order), BATCH)):
            batch = order[start:start + BATCH]
            inputs = place_on_canvas(x[batch], sizes[step % len(sizes)], rng)
            optimizer.zero_grad()
            loss = loss_fn(model(nb.tensor(inputs)), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.array))
        history.append(float(np.mean(losses)))
    return model, history


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with nb.no_grad():
        return float((model(nb.tensor(x)).array.argmax(axis=1) == y).mean())


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, epochs: int = EPOCHS,
        train_size: int = 1300, test_sizes: Sequence[int] = TEST_SIZES) -> dict:
    """Check equivariance and train the fully convolutional classifier; save
    ``out_dir/equivariance.png`` when matplotlib is available.

    Returns ``shift``, ``max_error_interior`` and ``max_error_border`` (conv vs shift), the
    ``train_sizes``, ``test_sizes`` and per test size the held-out ``accuracy``, the training
    ``loss`` per epoch, ``fully_connected_error`` (the message a Linear classifier raises on the
    second size), and ``figure``. Needs scikit-learn's digits.
    """
    from nnblocks.data import load_digits

    generator = get_rng(rng)
    images, labels = load_digits()                                          # (1797, 1, 8, 8)
    order = generator.permutation(len(images))
    train, test = order[:train_size], order[train_size:]
    # equivariance on a held-out digit, upsampled 2x, on a noisy 28×28 canvas (the noise makes
    # the borders, where zero padding and wrap-around differ, visible in the difference map)
    canvas = 0.15 * generator.random((28, 28))
    canvas[6:22, 6:22] += np.kron(images[test[0], 0].astype(np.float64), np.ones((2, 2)))
    inner, border, maps = equivariance_error(canvas, generator)
    model, history = train_fcn(images[train], labels[train], generator, epochs)
    results: dict = {
        "shift": list(SHIFT),
        "max_error_interior": inner,
        "max_error_border": border,
        "train_sizes": list(TRAIN_SIZES),
        "test_sizes": [int(s) for s in test_sizes],
        "accuracy": [],
        "loss": history,
    }
    examples = {}
    for size in results["test_sizes"]:
        x = place_on_canvas(images[test], size, generator)
        results["accuracy"].append(accuracy(model, x, labels[test]))
        examples[size] = x[0, 0]
    dense = nn.Sequential(nn.Flatten(), nn.Linear(64, 10, rng=generator))
    try:
        dense(nb.tensor(place_on_canvas(images[:1], 12, generator)))
        results["fully_connected_error"] = None
    except ValueError as error:
        results["fully_connected_error"] = str(error)
    results["figure"] = _figure(maps, examples, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [
        f"conv(shift(x)) vs shift(conv(x)), shift {tuple(results['shift'])}: max |diff| "
        f"{results['max_error_interior']:.1e} away from the borders, "
        f"{results['max_error_border']:.2f} including them",
        f"fully convolutional net trained on canvases {results['train_sizes']}:",
    ]
    for size, acc in zip(results["test_sizes"], results["accuracy"]):
        seen = "" if size in results["train_sizes"] else "  (size never seen in training)"
        lines.append(f"  {size:3d} x {size:<3d} test accuracy {acc:.3f}{seen}")
    lines.append(f"fully connected net on 12x12: {results['fully_connected_error']}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(maps: dict, examples: dict, results: dict, out_dir: Path) -> str | None:
    fig = new_figure(14.0, 4.2)
    if fig is None:
        return None
    grid = fig.add_gridspec(2, 6, width_ratios=[1, 1, 1.25, 0.6, 0.6, 2.0])
    dy, dx = results["shift"]
    show_image(fig.add_subplot(grid[0, 0]), maps["x"], "x")
    show_image(fig.add_subplot(grid[1, 0]), maps["shift_x"], f"shift(x) by ({dy}, {dx})")
    show_image(fig.add_subplot(grid[0, 1]), maps["conv_x"], "conv(x)", cmap="RdBu_r")
    show_image(fig.add_subplot(grid[1, 1]), maps["conv_shift_x"], "conv(shift(x))",
               cmap="RdBu_r")
    diff_ax = fig.add_subplot(grid[:, 2])
    artist = show_image(diff_ax, maps["diff"],
                        f"|conv(shift x) − shift(conv x)|\nmax inside: "
                        f"{results['max_error_interior']:.0e}; non-zero only at borders",
                        cmap="magma")
    fig.colorbar(artist, ax=diff_ax, fraction=0.046, pad=0.02)
    sizes = results["test_sizes"]
    for i, size in enumerate(sizes[:4]):
        show_image(fig.add_subplot(grid[i // 2, 3 + i % 2]), examples[size], f"{size}×{size}")
    ax = fig.add_subplot(grid[:, 5])
    colors = [COLORS[2] if s in results["train_sizes"] else COLORS[1] for s in sizes]
    bars = ax.bar([f"{s}×{s}" for s in sizes], results["accuracy"], color=colors)
    for bar, acc in zip(bars, results["accuracy"]):
        ax.text(bar.get_x() + bar.get_width() / 2, acc + 0.02, f"{acc:.2f}", ha="center",
                fontsize=8)
    ax.bar([0], [0], color=COLORS[2], label="size seen in training")
    ax.bar([0], [0], color=COLORS[1], label="size never seen")
    ax.axhline(0.1, color="gray", linestyle=":", label="chance")
    ax.set_ylim(0.0, 1.35)                     # room for the legend above the bars
    ax.set_xlabel("input size (digit placed at random)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title("One fully convolutional net, any input size", fontsize=10)
    ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.legend(fontsize=7, loc="upper center", ncol=3)
    return save(fig, out_dir, "equivariance.png")
