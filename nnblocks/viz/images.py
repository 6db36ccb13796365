"""Images for self-contained HTML: a dependency-free grayscale PNG encoder, data URIs, and
matplotlib figures as PNG bytes."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import numpy as np


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a 2-D array in [0, 1] (``(H, W)``) as an 8-bit grayscale PNG (RFC 2083)."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"png_bytes: expected a non-empty (H, W) array, got shape {a.shape}")
    pixels = np.round(np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).astype(np.uint8)   # (H, W)
    rows = np.hstack([np.zeros((a.shape[0], 1), np.uint8), pixels])  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", a.shape[1], a.shape[0], 8, 0, 0, 0, 0)   # 8-bit gray
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...``: an image that needs no file and no network."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_png(figure: Any, dpi: int = 90) -> bytes:
    """A matplotlib ``Figure`` as PNG bytes (Agg canvas, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def tile_grid(tiles: np.ndarray, columns: int, scale: int = 4, gap: float = 1.0) -> np.ndarray:
    """Tiles ``(K, h, w)`` in [0, 1] laid out in ``columns`` columns with 1-pixel gaps of
    ``gap``, each pixel repeated ``scale`` × ``scale``: ``(H, W)``."""
    count, h, w = tiles.shape
    rows = -(-count // columns)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), gap)
    for i in range(count):
        r, c = divmod(i, columns)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = tiles[i]
    return np.kron(grid, np.ones((scale, scale)))


def normalize(a: np.ndarray) -> np.ndarray:
    """``a`` scaled to [0, 1] (a constant array becomes zeros)."""
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)
