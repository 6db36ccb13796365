r"""``nnblocks demo sobel``: a Conv2d with the Sobel kernels gives edge maps of a real image.

The lecture's 2-D "convolution" is the cross-correlation

.. math::
    S(i, j) = (I * K)(i, j) = \sum_m \sum_n I(i + m, j + n)\, K(m, n).

:func:`nnblocks.nn.sobel` is a fixed ``Conv2d(1, 2, 3, padding=1, bias=False)`` whose two
filters are the Sobel kernels :math:`S_x = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]` (it responds to
horizontal change of intensity: vertical edges) and :math:`S_y = S_x^\top` (vertical change:
horizontal edges). On an image they give the maps :math:`G_x, G_y` and the edge magnitude
:math:`\sqrt{G_x^2 + G_y^2}`.

The image is scikit-learn's bundled photograph ``china.jpg`` (needs scikit-learn and Pillow),
else a handwritten digit from scikit-learn's digits, else a synthetic picture of shapes. The
demo checks the layer against a naive double loop over the pixels (:func:`sobel_double_loop`),
written from the formula above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
from nnblocks.demos._plot import new_figure, save, show_image

#: the Sobel kernels as cross-correlation weights (the layer's ``weight[0, 0]`` and
#: ``weight[1, 0]``)
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
SOBEL_Y = SOBEL_X.T
#: block-average factor that shrinks china.jpg (427 × 640) to 85 × 128
CHINA_SHRINK = 5


def shapes_image(size: int = 48) -> np.ndarray:
    """A synthetic grey image: a bright square and a disc on a dark background, ``(size, size)``
    float64 in [0, 1]."""
    rows, cols = np.mgrid[0:size, 0:size]
    image = np.full((size, size), 0.1)
    quarter = size // 4
    image[quarter:2 * quarter + quarter // 2, quarter:2 * quarter + quarter // 2] = 0.9
    disc = (rows - 0.68 * size) ** 2 + (cols - 0.68 * size) ** 2 < (0.18 * size) ** 2
    image[disc] = 0.6
    return image


def load_image(image: Any = "auto") -> tuple[np.ndarray, str]:
    """The demo image as ``(H, W)`` float64 in [0, 1] and its name.

    ``image``: ``"china"`` (scikit-learn's photograph, needs scikit-learn and Pillow),
    ``"digit"`` (the first of scikit-learn's 8×8 digits, upsampled 4× by pixel repetition),
    ``"shapes"`` (synthetic), ``"auto"`` (the first of those that is available), or a 2-D array.
    """
    if not isinstance(image, str):
        array = np.asarray(image, dtype=np.float64)
        if array.ndim != 2:
            raise ValueError(f"sobel demo: image must be a 2-D array, got shape {array.shape}")
        return array, "given image"
    if image not in ("auto", "china", "digit", "shapes"):
        raise ValueError(f"sobel demo: unknown image {image!r}; choose 'auto', 'china', "
                         "'digit', 'shapes' or pass a 2-D array")
    if image in ("auto", "china"):
        try:
            from sklearn.datasets import load_sample_image

            rgb = load_sample_image("china.jpg").astype(np.float64) / 255.0   # (427, 640, 3)
        except ImportError:
            if image == "china":
                raise
        else:
            grey = rgb @ np.array([0.299, 0.587, 0.114])                      # (427, 640)
            k = CHINA_SHRINK
            h, w = grey.shape[0] // k * k, grey.shape[1] // k * k
            small = grey[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))
            return small, "china.jpg (scikit-learn sample image)"
    if image in ("auto", "digit"):
        try:
            from nnblocks.data import load_digits

            digits, labels = load_digits()
        except Exception:                      # DatasetNotFoundError without scikit-learn
            if image == "digit":
                raise
        else:
            upsampled = np.kron(digits[0, 0].astype(np.float64), np.ones((4, 4)))   # (32, 32)
            return upsampled, f"digit {int(labels[0])} (scikit-learn digits, 4x upsampled)"
    return shapes_image(), "synthetic shapes"


def sobel_double_loop(image: np.ndarray) -> np.ndarray:
    """``(2, H, W)``: the formula :math:`S(i, j) = \\sum_{m, n} I_p(i + m, j + n) K(m, n)` with
    the kernels :data:`SOBEL_X`, :data:`SOBEL_Y`, one pixel at a time over the zero-padded
    image ``I_p``."""
    h, w = image.shape
    padded = np.zeros((h + 2, w + 2))
    padded[1:-1, 1:-1] = image
    out = np.zeros((2, h, w))
    for i in range(h):
        for j in range(w):
            window = padded[i:i + 3, j:j + 3]                                # (3, 3)
            out[0, i, j] = float((window * SOBEL_X).sum())
            out[1, i, j] = float((window * SOBEL_Y).sum())
    return out


def edge_maps(image: np.ndarray) -> np.ndarray:
    """``(2, H, W)``: :func:`nnblocks.nn.sobel` (a Conv2d) applied to one ``(H, W)`` image."""
    layer = nn.sobel(1, padding=1, dtype=np.float64)
    with nb.no_grad():
        return layer(nb.tensor(image[None, None])).array[0]                # (2, H, W)


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, image: Any = "auto",
        loop_crop: int = 48) -> dict:
    """Edge maps of the image; save ``out_dir/sobel.png`` when matplotlib is available.

    ``rng`` is unused (deterministic demo). ``loop_crop``: side of the top-left crop compared
    with the double loop (the loop is slow; 0 compares the whole image).

    Returns ``image`` (its name), ``shape``, ``max_abs_diff_vs_loop`` (Conv2d vs the double
    loop on the crop), ``mean_abs_gx``, ``mean_abs_gy``, ``max_magnitude``, and ``figure``.
    """
    picture, name = load_image(image)
    maps = edge_maps(picture)                                                # (2, H, W)
    crop = picture if loop_crop <= 0 else picture[:loop_crop, :loop_crop]
    looped = sobel_double_loop(crop)                                         # (2, h, w)
    # the crop's padding zeros differ from the full image's neighbours on the crop's far
    # border, so compare the conv on the crop itself
    magnitude = np.hypot(maps[0], maps[1])                                   # (H, W)
    results = {
        "image": name,
        "shape": list(picture.shape),
        "loop_pixels": int(crop.size),
        "max_abs_diff_vs_loop": float(np.abs(edge_maps(crop) - looped).max()),
        "mean_abs_gx": float(np.abs(maps[0]).mean()),
        "mean_abs_gy": float(np.abs(maps[1]).mean()),
        "max_magnitude": float(magnitude.max()),
    }
    results["figure"] = _figure(picture, maps, magnitude, name, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [
        f"image: {results['image']}, shape {tuple(results['shape'])}",
        f"Conv2d(Sobel) vs double loop on {results['loop_pixels']} pixels: max |diff| = "
        f"{results['max_abs_diff_vs_loop']:.1e}",
        f"mean |Gx| = {results['mean_abs_gx']:.4f}, mean |Gy| = {results['mean_abs_gy']:.4f}, "
        f"max magnitude = {results['max_magnitude']:.3f}",
    ]
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(picture: np.ndarray, maps: np.ndarray, magnitude: np.ndarray, name: str,
            out_dir: Path) -> str | None:
    aspect = picture.shape[0] / picture.shape[1]
    fig = new_figure(8.0, 2 * 3.5 * aspect + 1.2)
    if fig is None:
        return None
    axes = fig.subplots(2, 2).ravel()
    show_image(axes[0], picture, f"input: {name.split(' (')[0]}")
    # colour limits from the interior: the zero padding makes strong responses on the border
    limit = float(np.percentile(np.abs(maps[:, 1:-1, 1:-1]), 99.5))
    titles = ("Gx = I ⋆ Sx: vertical edges", "Gy = I ⋆ Sy: horizontal edges")
    for ax, response, title in zip(axes[1:3], maps, titles):
        artist = show_image(ax, response, title, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(artist, ax=ax, fraction=0.046, pad=0.02)
    artist = show_image(axes[3], magnitude, "edge magnitude √(Gx² + Gy²)", cmap="gray_r",
                        vmax=float(np.percentile(magnitude[1:-1, 1:-1], 99.5)))
    fig.colorbar(artist, ax=axes[3], fraction=0.046, pad=0.02)
    fig.suptitle("Sobel kernels as a Conv2d (cross-correlation, zero padding 1)", fontsize=11)
    return save(fig, out_dir, "sobel.png")
