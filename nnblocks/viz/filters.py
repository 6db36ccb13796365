"""First-layer filters as one image: the tiles a user looks at in TensorBoard or the run report."""

from __future__ import annotations

import math

import numpy as np

from nnblocks.viz.images import tile_grid


def first_layer_weight(model: object) -> tuple[str, np.ndarray] | None:
    """``(name, weight)`` of the model's first parameter with a weight matrix or kernel
    (``Conv2d`` ``(O, I, kH, kW)``, ``Linear`` ``(out, in)``...), in registration order; None
    when it has none."""
    for name, p in model.named_parameters():  # type: ignore[attr-defined]
        if p.ndim >= 2:
            return name, p.array
    return None


def filter_tiles(weight: np.ndarray, image_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """One 2-D tile per filter, each scaled to [0, 1] on its own: ``(O, h, w)``.

    A convolution kernel ``(O, I, kH, kW)`` gives the mean over its input channels; a dense
    weight ``(out, in)`` gives each row reshaped to ``image_shape``'s last two axes when ``in``
    is their product (a first layer over images), else to a 1 × in strip.
    """
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 4:
        tiles = w.mean(axis=1)                                   # (O, kH, kW)
    elif w.ndim == 3:
        tiles = w.mean(axis=1)[:, None, :]                       # (O, 1, K)
    elif w.ndim == 2:
        if image_shape is not None and math.prod(image_shape) == w.shape[1]:
            tiles = w.reshape(w.shape[0], *image_shape).reshape(
                w.shape[0], -1, image_shape[-1])                 # (out, C*H, W)
        else:
            tiles = w[:, None, :]                                # (out, 1, in)
    else:
        raise ValueError(f"filter_tiles: expected a weight of 2 to 4 dimensions, got shape "
                         f"{w.shape}")
    low = tiles.min(axis=(1, 2), keepdims=True)
    span = tiles.max(axis=(1, 2), keepdims=True) - low
    return (tiles - low) / np.where(span > 0, span, 1.0)


def filter_grid(weight: np.ndarray, image_shape: tuple[int, ...] | None = None, *,
                columns: int | None = None, scale: int = 8, max_filters: int = 64) -> np.ndarray:
    """The first ``max_filters`` tiles of :func:`filter_tiles` in a grid, each pixel repeated
    ``scale`` × ``scale`` times, separated by 1-pixel (×scale) gaps of 1 (white): ``(H, W)``
    in [0, 1]."""
    tiles = filter_tiles(weight, image_shape)[:max_filters]      # (O, h, w)
    columns = columns or math.ceil(math.sqrt(len(tiles)))
    return tile_grid(tiles, columns, scale)                      # (H, W)
