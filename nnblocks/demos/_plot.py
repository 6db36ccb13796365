"""Shared plotting helpers of the demos: matplotlib is optional and imported only here, lazily.

Every demo computes its numbers first and then asks :func:`new_figure` for a figure: ``None``
when matplotlib is not installed, in which case the demo saves nothing and returns its numbers
anyway. Figures are ``matplotlib.figure.Figure`` objects (no pyplot, so no global figure state
and no GUI backend), saved as small PNGs by :func:`save`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

#: resolution of every saved PNG (small files that stay readable in a README)
DPI = 90
#: colours of the saved PNG's palette: plots have few colours, and a palette PNG is about a third
#: of the size of a true-colour one
PALETTE = 256

#: one colour per method or curve, in a fixed order (matplotlib's "tab10" cycle)
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)


def new_figure(width: float, height: float) -> Any | None:
    """A ``matplotlib.figure.Figure`` of ``width`` × ``height`` inches, or None without
    matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(figsize=(width, height))


def save(fig: Any, out_dir: str | Path, name: str) -> str:
    """Lay out ``fig``, write it as ``out_dir/name`` (a PNG at :data:`DPI`, reduced to a
    :data:`PALETTE`-colour palette when Pillow, a dependency of matplotlib, is importable), and
    return the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(buffer.getvalue())
        return str(path)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(PALETTE).save(path, format="PNG", optimize=True)
    return str(path)


def show_image(ax: Any, image: Any, title: str, cmap: str = "gray", **kwargs: Any) -> Any:
    """Draw a 2-D array without ticks (pixels are not a quantity), with a title; returns the
    image artist (for a colorbar)."""
    artist = ax.imshow(image, cmap=cmap, interpolation="nearest", **kwargs)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return artist
