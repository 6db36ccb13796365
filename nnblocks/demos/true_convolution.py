r"""``nnblocks demo true-convolution``: convolution with the flipped kernel beside the
cross-correlation that deep-learning libraries (PyTorch's and ours) call "convolution".

In the lecture's notation, the 2-D cross-correlation and the true convolution of an image I
with a kernel K are

.. math::
    (I \star K)(i, j) = \sum_m \sum_n I(i + m, j + n)\, K(m, n), \qquad
    (I * K)(i, j) = \sum_m \sum_n I(i - m, j - n)\, K(m, n).

Substituting :math:`m \to -m, n \to -n` shows :math:`I * K = I \star \operatorname{flip}(K)`:
the two are **equal after flipping the kernel** (rotating it by 180°). The true convolution is
**commutative**, :math:`I * K = K * I` (substitute :math:`a = i - m`), and the
cross-correlation is not: :math:`K \star I` is :math:`I \star K` flipped. The demo checks all
three with naive loops over the definitions (full output, zero padding) and with
``F.conv2d``.

Why the difference does not matter for learning: a layer that computes :math:`x * W` is a layer
that computes :math:`x \star V` with :math:`V = \operatorname{flip}(W)`, and the gradient
w.r.t. W is the flip of the gradient w.r.t. V. So a CNN with true convolutions started from
flipped initial weights follows the cross-correlation CNN step by step: its learned kernels are
the flips of the other's (up to floating-point rounding), and the accuracy is the same. Started
from its own random weights it reaches about the same accuracy too.
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

EPOCHS = 8
TRAIN_SIZE = 1300
FILTERS = 8


def cross_correlation_full(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """:math:`S(i, j) = \\sum_{m, n} I(i + m, j + n) K(m, n)` for every (i, j) where the
    kernel overlaps the image (zero outside): ``(H + kh - 1, W + kw - 1)``, by loops."""
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    out = np.zeros((image.shape[0] + kh - 1, image.shape[1] + kw - 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += padded[i + m, j + n] * kernel[m, n]
    return out


def convolution_full(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """:math:`S(i, j) = \\sum_{m, n} I(i - m, j - n) K(m, n)` (zero outside the image):
    ``(H + kh - 1, W + kw - 1)``, by loops."""
    kh, kw = kernel.shape
    h, w = image.shape
    out = np.zeros((h + kh - 1, w + kw - 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for m in range(kh):
                for n in range(kw):
                    if 0 <= i - m < h and 0 <= j - n < w:
                        out[i, j] += image[i - m, j - n] * kernel[m, n]
    return out


class TrueConv2d(nn.Conv2d):
    """A ``Conv2d`` that computes the true convolution :math:`x * W`: the cross-correlation
    block applied to the kernel flipped in both spatial axes (a view, so the gradient reaches W
    flipped back)."""

    def forward(self, x: Any) -> Any:
        flipped = self.weight[:, :, ::-1, ::-1]                  # (O, C, kH, kW)
        return F.conv2d(x, flipped, self.bias, **self._hyper())


def small_cnn(conv: type, rng: np.random.Generator) -> nn.Sequential:
    """``conv(1→8, 3×3, pad 1) → ReLU → MaxPool 2 → Flatten → Linear(128→10)``."""
    return nn.Sequential(conv(1, FILTERS, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(FILTERS * 16, 10, rng=rng))


def identities(image: np.ndarray, kernel: np.ndarray) -> dict[str, float]:
    """Largest absolute differences of the three identities (0 up to rounding where they hold).
    """
    xcorr = cross_correlation_full(image, kernel)
    conv = convolution_full(image, kernel)
    valid = (slice(2, -2), slice(2, -2))                           # 3x3 kernel, no padding
    x = nb.tensor(image[None, None])
    library = F.conv2d(x, nb.tensor(kernel[None, None])).array[0, 0]
    library_flipped = F.conv2d(x, nb.tensor(kernel[::-1, ::-1][None, None].copy())).array[0, 0]
    return {
        "conv2d_is_cross_correlation": float(np.abs(library - xcorr[valid]).max()),
        "convolution_is_flipped_cross_correlation": float(
            np.abs(conv - cross_correlation_full(image, kernel[::-1, ::-1])).max()),
        "conv2d_of_flipped_kernel_is_convolution": float(
            np.abs(library_flipped - conv[valid]).max()),
        "convolution_commutes": float(np.abs(conv - convolution_full(kernel, image)).max()),
        "cross_correlation_commutes": float(
            np.abs(xcorr - cross_correlation_full(kernel, image)).max()),
        "swapped_cross_correlation_is_flipped": float(
            np.abs(cross_correlation_full(kernel, image) - xcorr[::-1, ::-1]).max()),
        "scale": float(np.abs(conv).max()),
    }


def accuracy(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> float:
    with nb.no_grad():
        scores = model(nb.tensor(x)).array
    return float((scores.argmax(axis=1) == y).mean())


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, epochs: int = EPOCHS,
        train_size: int = TRAIN_SIZE) -> dict:
    """Check the identities on a digit and a random kernel, train the three CNNs; save
    ``out_dir/true_convolution.png`` when matplotlib is available. Needs scikit-learn's digits.

    Returns ``identities`` (max differences), ``accuracy`` of ``cross_correlation``,
    ``convolution_flipped_init`` and ``convolution_own_init``, ``kernel_max_diff`` (learned
    true-convolution kernels vs flipped cross-correlation kernels, relative to their largest
    weight), ``kernel_change`` (how far training moved the kernels, same scale), and ``figure``.
    """
    from nnblocks.data import load_digits

    generator = get_rng(rng)
    x, y = load_digits()                                                   # (N, 1, 8, 8)
    order = generator.permutation(len(x))
    train_rows, test_rows = order[:train_size], order[train_size:]
    image = x[test_rows[0], 0].astype(np.float64)                          # (8, 8)
    kernel = generator.standard_normal((3, 3))
    results: dict[str, Any] = {"identities": identities(image, kernel)}

    xcorr_net = small_cnn(nn.Conv2d, generator)
    conv_net = small_cnn(TrueConv2d, generator)
    conv_net.load_state_dict(xcorr_net.state_dict())
    conv_net[0].weight.array[...] = xcorr_net[0].weight.array[:, :, ::-1, ::-1]   # flipped init
    own_net = small_cnn(TrueConv2d, generator)                             # its own init
    initial = xcorr_net[0].weight.array.copy()
    seed = int(generator.integers(2**32))
    for net in (xcorr_net, conv_net, own_net):                             # same batches
        train(net, x[train_rows], y[train_rows], epochs, np.random.default_rng(seed))
    test_x, test_y = x[test_rows], y[test_rows]
    learned = xcorr_net[0].weight.array
    scale = float(np.abs(learned).max())
    results["accuracy"] = {
        "cross_correlation": accuracy(xcorr_net, test_x, test_y),
        "convolution_flipped_init": accuracy(conv_net, test_x, test_y),
        "convolution_own_init": accuracy(own_net, test_x, test_y),
    }
    results["kernel_max_diff"] = float(
        np.abs(conv_net[0].weight.array[:, :, ::-1, ::-1] - learned).max() / scale)
    results["kernel_change"] = float(np.abs(learned - initial).max() / scale)
    results["epochs"] = int(epochs)
    results["figure"] = _figure(image, kernel, xcorr_net, conv_net, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    ids = results["identities"]
    lines = ["identities on a digit and a random 3x3 kernel (max |difference|, naive loops):"]
    for key, value in ids.items():
        if key != "scale":
            lines.append(f"  {key.replace('_', ' '):<42} {value:.2e}")
    lines.append(f"  (largest output value {ids['scale']:.2f})")
    acc = results["accuracy"]
    lines.append(f"CNNs on digits, {results['epochs']} epochs, held-out accuracy: "
                 f"cross-correlation {acc['cross_correlation']:.3f}, true convolution from "
                 f"flipped init {acc['convolution_flipped_init']:.3f}, from its own init "
                 f"{acc['convolution_own_init']:.3f}")
    lines.append(f"learned true-convolution kernels vs flipped cross-correlation kernels: max "
                 f"difference {results['kernel_max_diff']:.1e} of the largest weight (training "
                 f"moved them by {results['kernel_change']:.2f})")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(image: np.ndarray, kernel: np.ndarray, xcorr_net: Any, conv_net: Any,
            results: dict, out_dir: Path) -> str | None:
    fig = new_figure(12.0, 5.2)
    if fig is None:
        return None
    grid = fig.add_gridspec(2, 8)
    panels = [(image, "image I"), (kernel, "kernel K"),
              (cross_correlation_full(image, kernel), "I ⋆ K (cross-corr.)"),
              (convolution_full(image, kernel), "I ∗ K (true conv.)"),
              (convolution_full(kernel, image), "K ∗ I  (= I ∗ K)"),
              (cross_correlation_full(kernel, image), "K ⋆ I  (≠ I ⋆ K)")]
    for i, (array, title) in enumerate(panels):
        show_image(fig.add_subplot(grid[0, i]), array, title, cmap="RdBu_r" if i else "gray")
    ax = fig.add_subplot(grid[0, 6:])
    names = ["cross-corr.", "conv., flipped\ninit", "conv., own\ninit"]
    values = list(results["accuracy"].values())
    ax.bar(range(3), values, color=COLORS[:3])
    ax.set_xticks(range(3), names, fontsize=7)
    ax.set_ylim(min(values) - 0.05, 1.0)
    ax.set_title("held-out accuracy", fontsize=9)
    learned = xcorr_net[0].weight.array[:, 0]
    flipped = conv_net[0].weight.array[:, 0, ::-1, ::-1]
    for k in range(4):
        show_image(fig.add_subplot(grid[1, k]), learned[k], f"cross-corr. {k}", cmap="RdBu_r")
        show_image(fig.add_subplot(grid[1, 4 + k]), flipped[k], f"flip(true conv. {k})",
                   cmap="RdBu_r")
    fig.suptitle("Convolution = cross-correlation with the flipped kernel; learning absorbs "
                 "the flip", fontsize=10)
    return save(fig, out_dir, "true_convolution.png")
