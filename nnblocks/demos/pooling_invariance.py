r"""``nnblocks demo pooling-invariance``: max pooling makes a representation approximately
invariant to small translations (Goodfellow et al. 2016, Fig. 9.8).

The input image is shifted right by one pixel. A *detector stage* (``Conv2d(1, 8, 3)`` with
random weights followed by ReLU) sees every value move, so almost every detector output at a fixed
position changes; the *pooling stage*, ``MaxPool2d(k, stride=1)``, reports the maximum over a
window of width k, which stays the same whenever the window's maximum is still inside the window
after the shift. The demo reports the fraction of outputs, at the same positions, that are
unchanged after the shift, for the detector (k = 1) and for pooling widths k = 2…5.

For a window whose k + 1 values (before and after the shift) are exchangeable, the pooled output
is unchanged exactly when the largest of the k + 1 lies in the k − 1 columns both windows share:
probability :math:`(k - 1)/(k + 1)` — one half for k = 3, the book's "only half of the values in
the output layer have changed". Detector outputs that stay unchanged are those that are 0 (ReLU
off) both before and after the shift, or lie in a flat region of the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save
from nnblocks.demos.sobel import load_image

POOL_WIDTHS = (2, 3, 4, 5)
CHANNELS = 8


def shift_right(x: np.ndarray, pixels: int = 1) -> np.ndarray:
    """``x`` moved ``pixels`` to the right along the last axis; zeros enter on the left."""
    out = np.zeros_like(x)
    out[..., pixels:] = x[..., :-pixels]
    return out


def unchanged(a: np.ndarray, b: np.ndarray, margin: int) -> np.ndarray:
    """Boolean map of equal values of ``a`` and ``b`` (``(N, C, H, W)``), without the ``margin``
    columns at either side (where the zeros shifted in and the padding reach)."""
    scale = max(float(np.abs(a).max()), 1e-300)
    inner = (Ellipsis, slice(None), slice(margin, -margin))
    return np.abs(a[inner] - b[inner]) <= 1e-12 * scale


def detector(channels: int, rng: np.random.Generator) -> nn.Sequential:
    """The detector stage: ``Conv2d(1, channels, 3, padding=1)`` (random weights) → ReLU."""
    return nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, dtype=np.float64, rng=rng),
                         nn.ReLU())


def fractions(image: np.ndarray, rng: np.random.Generator, widths: Sequence[int] = POOL_WIDTHS,
              channels: int = CHANNELS) -> dict[str, Any]:
    """Fractions of unchanged outputs after a one-pixel shift of ``image`` (``(H, W)``): of the
    detector (``detector``, and ``detector_active`` among outputs that are > 0 before or after
    the shift) and of ``MaxPool2d(k, stride=1)`` for each k in ``widths`` (``pooled``,
    ``pooled_active``); also returns the maps for the figure."""
    stage = detector(channels, rng)
    x = image[None, None].astype(np.float64)                                # (1, 1, H, W)
    with nb.no_grad():
        before = stage(nb.tensor(x)).array                                   # (1, C, H, W)
        after = stage(nb.tensor(shift_right(x))).array                       # (1, C, H, W)
    margin = max(widths) + 1
    out: dict[str, Any] = {"widths": [int(k) for k in widths], "pooled": [],
                           "pooled_active": []}
    same = unchanged(before, after, margin)
    active = (before > 0) | (after > 0)
    active = active[..., margin:-margin]
    out["detector"] = float(same.mean())
    out["detector_active"] = float(same[active].mean())
    maps = {1: (before, after)}
    for k in out["widths"]:
        pooled_before = F.max_pool2d(nb.tensor(before), k, stride=1, padding=k // 2).array
        pooled_after = F.max_pool2d(nb.tensor(after), k, stride=1, padding=k // 2).array
        same = unchanged(pooled_before, pooled_after, margin)
        live = ((pooled_before > 0) | (pooled_after > 0))[..., margin:-margin]
        out["pooled"].append(float(same.mean()))
        out["pooled_active"].append(float(same[live].mean()))
        maps[k] = (pooled_before, pooled_after)
    out["maps"] = maps
    return out


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, image: Any = "auto",
        widths: Sequence[int] = POOL_WIDTHS, channels: int = CHANNELS) -> dict:
    """Shift the image by one pixel and count unchanged outputs; save
    ``out_dir/pooling_invariance.png`` when matplotlib is available.

    ``image``: ``"auto"`` (scikit-learn's photograph ``china.jpg`` when scikit-learn and Pillow
    are installed, else ``"noise"``), ``"noise"`` (i.i.d. Gaussian pixels, 64 × 64, from
    ``rng``), or anything :func:`nnblocks.demos.sobel.load_image` accepts. Flat regions (the
    background of a digit) are unchanged by a shift at every stage, so they raise both
    fractions.

    Returns ``image``, ``detector`` and ``detector_active`` (fractions unchanged), ``widths``,
    ``pooled`` and ``pooled_active`` (one per width), ``iid_prediction`` ((k-1)/(k+1) per
    width), and ``figure``.
    """
    generator = get_rng(rng)
    picture, name = None, "i.i.d. Gaussian noise"
    if isinstance(image, str) and image == "auto":
        try:
            picture, name = load_image("china")
        except ImportError:     # no scikit-learn or Pillow: noise (digits have flat regions)
            pass
    elif not (isinstance(image, str) and image == "noise"):
        picture, name = load_image(image)
    if picture is None:
        picture = generator.standard_normal((64, 64))
    table = fractions(picture, generator, widths, channels)
    maps = table.pop("maps")
    results = {"image": name, **table,
               "iid_prediction": [(k - 1) / (k + 1) for k in table["widths"]]}
    results["figure"] = _figure(maps, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [f"image: {results['image']}; shift: 1 pixel to the right",
             "  stage                        unchanged   (among active units)   (k-1)/(k+1)",
             f"  detector (conv + ReLU)       {results['detector']:9.3f}   "
             f"{results['detector_active']:20.3f}"]
    for k, p, a, q in zip(results["widths"], results["pooled"], results["pooled_active"],
                          results["iid_prediction"]):
        lines.append(f"  max pool {k}x{k}, stride 1       {p:9.3f}   {a:20.3f}   {q:11.3f}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _busiest_segment(channel: np.ndarray, length: int, margin: int) -> tuple[int, np.ndarray]:
    """The row and ``length`` columns of ``channel`` (``(H, W)``) where the values vary most
    (largest total variation), away from the ``margin`` columns at the sides: a segment to
    plot, as in the book's 1-D figure."""
    steps = np.abs(np.diff(channel, axis=1))                                # (H, W - 1)
    cumulative = np.concatenate([np.zeros((channel.shape[0], 1)), steps.cumsum(axis=1)], axis=1)
    starts = np.arange(margin, channel.shape[1] - margin - length)
    variation = cumulative[:, starts + length - 1] - cumulative[:, starts]  # (H, S)
    row, best = np.unravel_index(int(np.argmax(variation)), variation.shape)
    return int(row), np.arange(starts[best], starts[best] + length)


def _figure(maps: dict, results: dict, out_dir: Path) -> str | None:
    fig = new_figure(12.0, 3.8)
    if fig is None:
        return None
    det_ax, pool_ax, frac_ax = fig.subplots(1, 3)
    before, after = maps[1]
    k = 3 if 3 in maps else results["widths"][0]
    pooled_before, pooled_after = maps[k]
    row, columns = _busiest_segment(before[0, 0], length=16, margin=max(results["widths"]) + 1)
    for ax, (a, b), title in (
        (det_ax, (before, after), "Detector stage (conv + ReLU)"),
        (pool_ax, (pooled_before, pooled_after), f"Pooling stage (max pool width {k})"),
    ):
        va, vb = a[0, 0, row, columns], b[0, 0, row, columns]
        same = np.abs(va - vb) <= 1e-12 * max(float(np.abs(a).max()), 1e-300)
        ax.plot(columns, va, marker="o", color=COLORS[0], label="output for the image")
        ax.plot(columns, vb, marker="s", linestyle="--", color=COLORS[1],
                label="output for the image shifted 1 pixel")
        ax.scatter(columns[same], va[same], s=120, facecolors="none", edgecolors="green",
                   label=f"unchanged ({int(same.sum())}/{len(same)})")
        ax.set_xticks(columns[::3])
        ax.set_xlabel("column (one image row, channel 0)")
        ax.set_ylabel("output value")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    widths = [1, *results["widths"]]
    frac_ax.plot(widths, [results["detector"], *results["pooled"]], marker="o",
                 color=COLORS[2], label="all outputs")
    frac_ax.plot(widths, [results["detector_active"], *results["pooled_active"]], marker="s",
                 color=COLORS[4], label="active outputs (> 0)")
    frac_ax.plot(widths, [0.0, *results["iid_prediction"]], linestyle=":", color="black",
                 label="(k-1)/(k+1), i.i.d. values")
    frac_ax.set_xticks(widths)
    frac_ax.set_xticklabels(["detector", *[str(w) for w in results["widths"]]])
    frac_ax.set_xlabel("max-pooling width k (stride 1)")
    frac_ax.set_ylabel("fraction unchanged after the shift")
    frac_ax.set_ylim(0.0, 1.0)
    frac_ax.set_title("Pooling gives approximate invariance", fontsize=10)
    frac_ax.legend(fontsize=8)
    return save(fig, out_dir, "pooling_invariance.png")
