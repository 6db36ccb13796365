"""Training curves: loss and accuracy per epoch, for training and validation."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot_curves(history: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path | None:
    """Save ``loss`` / ``val_loss`` and ``accuracy`` / ``val_accuracy`` per epoch as a PNG.

    Returns the path, or None when matplotlib is not installed (nothing is drawn). Uses
    matplotlib's object API with the Agg canvas: no global backend or pyplot state is touched.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    epochs = [r["epoch"] for r in history]
    has_accuracy = any(r.get("accuracy") is not None for r in history)
    figure = Figure(figsize=(10 if has_accuracy else 5, 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    panels = [("loss", "loss")] + ([("accuracy", "accuracy")] if has_accuracy else [])
    for i, (key, title) in enumerate(panels):
        ax = figure.add_subplot(1, len(panels), i + 1)
        for prefix, label in (("", "train"), ("val_", "validation")):
            values = [r.get(prefix + key) for r in history]
            points = [(e, v) for e, v in zip(epochs, values) if v is not None]
            if points:
                ax.plot(*zip(*points), marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    path = Path(path)
    figure.savefig(path, dpi=100)
    return path
