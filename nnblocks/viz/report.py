"""One self-contained HTML page about a trained run (``nnblocks report RUN``).

Sections (each a ``<section id=...>``, listed in :data:`SECTIONS`): the config, the learning
curves, the test confusion matrix, the worst-classified test examples with their images, the
parameters per layer, the gradient norms per layer over the epochs, the first layer's filters,
feature maps for one test input, and the computational graph of the loss. Every image is inline
(PNG data URIs, the graph as inline SVG) and the CSS is in the page, so it opens without files or
network. matplotlib (curves, gradient norms) and Graphviz (the graph picture) are optional:
without them those sections show tables and the DOT text.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nnblocks.functional as F
from nnblocks.core import Tensor, no_grad
from nnblocks.viz.dot import graphviz_available
from nnblocks.viz.filters import filter_grid, first_layer_weight
from nnblocks.viz.graph import graph
from nnblocks.viz.images import data_uri, figure_png, normalize, png_bytes, tile_grid

#: (id, title) of every section, in page order
SECTIONS = (
    ("config", "Configuration"),
    ("curves", "Learning curves"),
    ("confusion", "Test confusion matrix"),
    ("layers", "Parameters per layer"),
    ("worst", "Worst-classified test examples"),
    ("gradients", "Gradient norms per layer"),
    ("filters", "First-layer filters"),
    ("features", "Feature maps for one input"),
    ("graph", "Computational graph"),
)

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       background: #f6f7f9; color: #222; }
header { background: #1f3b57; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; opacity: 0.85; }
nav { padding: 6px 28px; background: #e8edf2; font-size: 13px; }
nav a { margin-right: 14px; color: #1f3b57; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px;
       padding: 16px 28px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 10px 16px;
          overflow: auto; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 16px; margin: 4px 0 10px; color: #1f3b57; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid #dde3ea; padding: 3px 7px; text-align: right; }
th { background: #f0f3f6; } td.left, th.left { text-align: left; }
img { image-rendering: pixelated; max-width: 100%; }
figure { display: inline-block; margin: 4px; text-align: center; font-size: 11px; }
.note { color: #666; font-size: 12px; } pre { font-size: 11px; max-height: 300px; }
"""


def write_report(
    path: str | os.PathLike,
    *,
    model: Any,
    test: tuple[np.ndarray, np.ndarray],
    config: dict[str, Any] | None = None,
    history: Sequence[dict[str, Any]] = (),
    test_metrics: dict[str, Any] | None = None,
    class_names: Sequence[str] | None = None,
    loss_fn: Callable[[Any, Any], Any] | None = None,
    title: str = "nnblocks run",
    worst: int = 12,
) -> Path:
    """Write the report of a classifier to ``path`` and return the path.

    Args:
        model: the trained model (put in eval mode).
        test: ``(inputs, labels)`` of the test set (class indices).
        config: the run config (shown as a table).
        history: the per-epoch records of ``fit`` (curves; ``grad_norm/<parameter>`` entries
            give the gradient-norm chart).
        test_metrics: test loss/accuracy to show in the header.
        class_names: names of the classes (default: their indices).
        loss_fn: the training loss, drawn in the graph (default: cross-entropy).
        worst: how many worst-classified examples to show.
    """
    model.eval()
    x, y = np.asarray(test[0]), np.asarray(test[1])
    logits = _predict(model, x)                                   # (N, C)
    logp = logits - logits.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))      # (N, C) log-softmax
    names = list(class_names) if class_names else [str(c) for c in range(logits.shape[1])]
    parts = {
        "config": _config_section(config or {}),
        "curves": _curves_section(history),
        "confusion": _confusion_section(y, logits.argmax(axis=1), names),
        "worst": _worst_section(x, y, logp, names, worst),
        "layers": _layers_section(model),
        "gradients": _gradients_section(history),
        "filters": _filters_section(model, x.shape[1:]),
        "features": _features_section(model, x[:1]),
        "graph": _graph_section(model, x[:2], y[:2], loss_fn or F.cross_entropy),
    }
    accuracy = float((logits.argmax(axis=1) == y).mean())
    subtitle = f"{len(y)} test examples, accuracy {accuracy:.4f}"
    if test_metrics and test_metrics.get("test_loss") is not None:
        subtitle += f", loss {test_metrics['test_loss']:.4g}"
    page = _page(title, subtitle, parts)
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


def _predict(model: Any, x: np.ndarray, batch: int = 512) -> np.ndarray:
    out = []
    with no_grad():
        for i in range(0, len(x), batch):
            out.append(np.asarray(model(Tensor(x[i:i + batch])).array, dtype=np.float64))
    return np.concatenate(out)


def _page(title: str, subtitle: str, parts: dict[str, str]) -> str:
    nav = "".join(f'<a href="#{sid}">{html.escape(t)}</a>' for sid, t in SECTIONS)
    body = []
    for sid, section_title in SECTIONS:
        wide = ' class="wide"' if sid in ("graph", "worst", "features") else ""
        body.append(f'<section id="{sid}"{wide}><h2>{html.escape(section_title)}</h2>\n'
                    f"{parts[sid]}\n</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>\n"
            f"<nav>{nav}</nav>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _img(png: bytes, alt: str, width: int | None = None) -> str:
    size = f' width="{width}"' if width else ""
    return f'<img src="{data_uri(png)}" alt="{html.escape(alt)}"{size}>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _flatten(config: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows = []
    for key, value in config.items():
        if isinstance(value, dict):
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((prefix + key, value))
    return rows


def _config_section(config: dict[str, Any]) -> str:
    if not config:
        return _note("no config recorded")
    rows = "".join(
        f'<tr><td class="left">{html.escape(k)}</td><td class="left">'
        f"{html.escape(json.dumps(v) if not isinstance(v, str) else v)[:200]}</td></tr>"
        for k, v in _flatten(config))
    return f'<table><tr><th class="left">setting</th><th class="left">value</th></tr>{rows}</table>'


def _new_figure(width: float, height: float) -> Any | None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(figsize=(width, height), layout="constrained")


def _curves_section(history: Sequence[dict[str, Any]]) -> str:
    if not history:
        return _note("no training history recorded")
    keys = [k for k in ("loss", "val_loss", "accuracy", "val_accuracy", "lr")
            if any(r.get(k) is not None for r in history)]
    head = "".join(f"<th>{k}</th>" for k in ["epoch", *keys])
    rows = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(k))}</td>" for k in ["epoch", *keys])
                   + "</tr>" for r in history)
    table = f"<table><tr>{head}</tr>{rows}</table>"
    fig = _new_figure(7.0, 2.8)
    if fig is None:
        return _note("matplotlib is not installed: the curves as a table") + table
    epochs = [r["epoch"] for r in history]
    for i, key in enumerate(("loss", "accuracy")):
        ax = fig.add_subplot(1, 2, i + 1)
        for prefix, label in (("", "train"), ("val_", "validation")):
            points = [(e, r.get(prefix + key)) for e, r in zip(epochs, history)
                      if r.get(prefix + key) is not None]
            if points:
                ax.plot(*zip(*points), marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(key, fontsize=10)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    return _img(figure_png(fig), "learning curves") + table


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape("" if value is None else str(value))


def _confusion_section(y: np.ndarray, predicted: np.ndarray, names: list[str]) -> str:
    c = len(names)
    matrix = np.zeros((c, c), dtype=np.int64)
    np.add.at(matrix, (y, predicted), 1)
    top = max(int(matrix.max()), 1)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for i in range(c):
        cells = []
        for j in range(c):
            shade = 1.0 - 0.6 * matrix[i, j] / top
            color = f"rgb({int(255 * shade)}, {int(255 * shade)}, 255)" if i == j else \
                f"rgb(255, {int(255 * shade)}, {int(255 * shade)})"
            cells.append(f'<td style="background:{color}">{matrix[i, j]}</td>')
        rows.append(f"<tr><th>{html.escape(names[i])}</th>{''.join(cells)}</tr>")
    return (f'<table class="confusion"><tr><th>true \\ predicted</th>{head}</tr>'
            f"{''.join(rows)}</table>")


def _example_image(x: np.ndarray) -> np.ndarray | None:
    """An input as a 2-D picture: ``(C, H, W)`` → channels side by side; ``(T, D)`` as is."""
    if x.ndim == 3:
        return normalize(np.concatenate(list(x), axis=1))
    if x.ndim == 2:
        return normalize(x)
    return None


def _worst_section(x: np.ndarray, y: np.ndarray, logp: np.ndarray, names: list[str],
                   count: int) -> str:
    losses = -logp[np.arange(len(y)), y]                          # (N,)
    order = np.argsort(-losses, kind="stable")[:count]
    figures = []
    for i in order:
        picture = _example_image(x[i])
        predicted = int(logp[i].argmax())
        caption = (f"#{i}: true {names[y[i]]}, predicted {names[predicted]} "
                   f"(p = {np.exp(logp[i, predicted]):.2f}), loss {losses[i]:.2f}")
        image = "" if picture is None else _img(png_bytes(tile_grid(picture[None], 1, 8)),
                                               f"test example {i}")
        figures.append(f"<figure>{image}<figcaption>{html.escape(caption)}</figcaption>"
                       "</figure>")
    return "".join(figures)


def _layers_section(model: Any) -> str:
    rows, total = [], 0
    for name, module in model.named_modules():
        own = [(n, p) for n, p in module._parameters.items() if p is not None]
        if own:
            count = sum(p.numel() for _, p in own)
            total += count
            shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in own)
            rows.append(f'<tr><td class="left">{html.escape(name or "(model)")}</td>'
                        f'<td class="left">{type(module).__name__}</td>'
                        f'<td class="left">{html.escape(shapes)}</td><td>{count:,}</td></tr>')
    return ('<table><tr><th class="left">layer</th><th class="left">type</th>'
            '<th class="left">parameters</th><th>count</th></tr>' + "".join(rows)
            + f'<tr><th class="left" colspan="3">total</th><th>{total:,}</th></tr></table>')


def _gradients_section(history: Sequence[dict[str, Any]]) -> str:
    keys = sorted({k for r in history for k in r if k.startswith("grad_norm/")})
    if not keys:
        return _note("no per-layer gradient norms in the history (GradNormLogger("
                     "per_parameter=True) records them)")
    fig = _new_figure(7.0, 3.0)
    if fig is None:
        head = "".join(f"<th>{html.escape(k[10:])}</th>" for k in keys)
        rows = "".join(f"<tr><td>{r['epoch']}</td>" + "".join(
            f"<td>{_fmt(r.get(k))}</td>" for k in keys) + "</tr>" for r in history)
        return _note("matplotlib is not installed") + f"<table><tr><th>epoch</th>{head}</tr>" \
            f"{rows}</table>"
    ax = fig.add_subplot(1, 1, 1)
    for key in keys:
        points = [(r["epoch"], r[key]) for r in history if r.get(key)]
        if points:
            ax.semilogy(*zip(*points), marker="o", markersize=3, label=key[10:])
    ax.set_xlabel("epoch")
    ax.set_ylabel("||dL/dθ|| (last step)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return _img(figure_png(fig), "gradient norms per layer")


def _filters_section(model: Any, image_shape: tuple[int, ...]) -> str:
    first = first_layer_weight(model)
    if first is None:
        return _note("the model has no weight matrix or kernel")
    name, weight = first
    grid = filter_grid(weight, image_shape if len(image_shape) == 3 else None, scale=8)
    return (_img(png_bytes(grid), f"filters of {name}")
            + _note(f"{name} {tuple(weight.shape)}: one tile per output unit, each scaled to "
                    "[0, 1] (white = largest weight)"))


def _features_section(model: Any, x1: np.ndarray) -> str:
    children = list(model.children()) if hasattr(model, "children") else []
    kinds = [type(c).__name__ for c in children]
    if "Conv2d" not in kinds or x1.ndim != 4:
        return _note("no convolutional first stage: feature maps apply to CNNs")
    start = kinds.index("Conv2d")
    end = start + 1
    while end < len(children) and kinds[end] in ("BatchNorm2d", "ReLU", "Tanh", "Sigmoid",
                                                 "ELU", "LeakyReLU", "GroupNorm"):
        end += 1
    h = Tensor(x1)
    with no_grad():
        for child in children[:end]:
            h = child(h)
    maps = np.asarray(h.array[0], dtype=np.float64)               # (C, H, W)
    tiles = np.stack([normalize(m) for m in maps])
    stage = " → ".join(kinds[start:end])
    return (_img(png_bytes(tile_grid(normalize(x1[0, 0])[None], 1, 8)), "the input")
            + _img(png_bytes(tile_grid(tiles, min(8, len(tiles)), 6)), "feature maps")
            + _note(f"the first test input and its {len(tiles)} maps after {stage}"))


def _graph_section(model: Any, x2: np.ndarray, y2: np.ndarray, loss_fn: Callable) -> str:
    params = [p for p in model.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad = True
    try:
        loss = loss_fn(model(Tensor(x2)), Tensor(y2))
        g = graph(loss, params=model, rankdir="LR")
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad = flag
    caption = _note(f"the loss of {len(y2)} test examples: {len(g.nodes)} nodes; blocks as "
                    "boxes, parameters in blue, fused blocks as one node")
    if not graphviz_available():
        return caption + _note("Graphviz is not installed: the DOT source") + \
            f"<pre>{html.escape(g.source)}</pre>"
    svg = g.pipe("svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]                                  # drop the XML prolog
    return caption + svg                               # natural size: the section scrolls
