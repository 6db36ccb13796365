r"""``nnblocks demo connectivity``: parameters and multiply-adds of fully connected, locally
connected and convolutional layers on the same input.

With m input nodes (an s × s one-channel image, :math:`m = s^2`), n output nodes (the
:math:`(s - k_s + 1)^2` positions of a :math:`k_s \times k_s` window without padding) and
:math:`k = k_s^2` elements in the filter, the lecture's counts are

=====================  ======================  ======================
layer                  parameters              multiply-adds
=====================  ======================  ======================
fully connected        :math:`mn` (+ n bias)   :math:`mn` — O(mn)
locally connected      :math:`nk` (+ n bias)   :math:`nk` — O(nk)
convolutional          :math:`k` (+ 1 bias)    :math:`nk` — O(nk)
=====================  ======================  ======================

Sparse interactions (locally connected, convolutional) cut the connections from mn to nk;
parameter sharing (convolutional) cuts the parameters from nk to k.

The demo checks every formula against the layers themselves: their ``num_parameters()``, and
their Jacobian :math:`J = \partial y / \partial x` (``(n, m)``, obtained by applying the layer
to the m basis images): the number of non-zero entries of J is the number of connections, i.e.
of multiply-adds, and the number of *distinct* non-zero values in J is the number of free
weights (k for the convolution, whose n rows repeat the same k weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save

KERNEL = 3                                   # k_s: the filter is KERNEL × KERNEL
MEASURED_SIDES = (6, 8, 12, 16, 24, 32)      # layers built and measured
FORMULA_SIDES = (64, 128, 256, 512)          # formulas only (a 512² fully connected layer
                                             # would have 6.8e10 weights)
KINDS = ("fully_connected", "locally_connected", "convolutional")


def formulas(side: int, kernel: int = KERNEL) -> dict:
    """The lecture's counts for an ``side × side`` input and a ``kernel × kernel`` filter."""
    m = side * side
    n = (side - kernel + 1) ** 2
    k = kernel * kernel
    return {
        "side": side, "m": m, "n": n, "k": k,
        "fully_connected": {"weights": m * n, "parameters": m * n + n, "mult_adds": m * n},
        "locally_connected": {"weights": n * k, "parameters": n * k + n, "mult_adds": n * k},
        "convolutional": {"weights": k, "parameters": k + 1, "mult_adds": n * k},
    }


def layers(side: int, kernel: int, rng: np.random.Generator) -> dict[str, nn.Module]:
    """The three layers mapping a ``(1, side, side)`` image to n outputs (float64)."""
    out_side = side - kernel + 1
    return {
        "fully_connected": nn.Sequential(
            nn.Flatten(), nn.Linear(side * side, out_side * out_side, dtype=np.float64,
                                    rng=rng)),
        "locally_connected": nn.LocallyConnected2d(1, 1, input_size=side, kernel_size=kernel,
                                                   dtype=np.float64, rng=rng),
        "convolutional": nn.Conv2d(1, 1, kernel, dtype=np.float64, rng=rng),
    }


def jacobian(layer: nn.Module, side: int) -> np.ndarray:
    """``(n, m)``: column j is the layer's response to the j-th basis image minus its response
    to zero (the bias), so ``J x`` is the layer without its bias."""
    m = side * side
    basis = np.eye(m).reshape(m, 1, side, side)                            # (m, 1, s, s)
    with nb.no_grad():
        out = layer(nb.tensor(basis)).array.reshape(m, -1)                  # (m, n)
        zero = layer(nb.tensor(np.zeros((1, 1, side, side)))).array.reshape(1, -1)
    return (out - zero).T                                                   # (n, m)


def measure(side: int, kernel: int, rng: np.random.Generator) -> dict:
    """For each layer: ``parameters`` (``num_parameters()``), ``connections`` (non-zeros of
    the Jacobian) and ``distinct_weights`` (distinct non-zero values of the Jacobian)."""
    out = {}
    for kind, layer in layers(side, kernel, rng).items():
        J = jacobian(layer, side)                                          # (n, m)
        nonzero = J[J != 0.0]
        out[kind] = {
            "parameters": layer.num_parameters(),
            "connections": int(nonzero.size),
            "distinct_weights": int(np.unique(nonzero).size),
        }
    return out


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        measured_sides: Sequence[int] = MEASURED_SIDES,
        formula_sides: Sequence[int] = FORMULA_SIDES, kernel: int = KERNEL) -> dict:
    """Count and measure; save ``out_dir/connectivity.png`` when matplotlib is available.

    Returns ``rows``: for each side (measured ones first) the formulas (``m``, ``n``, ``k`` and
    per layer ``weights``, ``parameters``, ``mult_adds``) and, for the measured sides,
    ``measured`` (per layer ``parameters``, ``connections``, ``distinct_weights``);
    ``all_match`` (every measured count equals its formula); and ``figure``.
    """
    generator = get_rng(rng)
    rows = []
    all_match = True
    for side in measured_sides:
        row = formulas(side, kernel)
        row["measured"] = measure(side, kernel, generator)
        for kind in KINDS:
            got, want = row["measured"][kind], row[kind]
            all_match &= (got["parameters"] == want["parameters"]
                          and got["connections"] == want["mult_adds"]
                          and got["distinct_weights"] == want["weights"])
        rows.append(row)
    rows += [formulas(side, kernel) for side in formula_sides]
    results = {"kernel": kernel, "rows": rows, "all_match": bool(all_match)}
    results["figure"] = _figure(results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    k = results["kernel"]
    lines = [f"filter {k}x{k} (k = {k * k}), no padding; parameters include biases; "
             "'=' where measured on the layer equals the formula",
             f"{'input':>9} {'m':>7} {'n':>7} | {'FC params':>14} {'LC params':>10} "
             f"{'conv':>5} | {'FC mult-adds':>14} {'LC/conv m-a':>11}"]
    for row in results["rows"]:
        mark = " =" if "measured" in row else "  "
        fc, lc, cv = (row[kind] for kind in KINDS)
        lines.append(f"{row['side']:>4}x{row['side']:<4} {row['m']:>7} {row['n']:>7} | "
                     f"{fc['parameters']:>14,} {lc['parameters']:>10,} {cv['parameters']:>5} | "
                     f"{fc['mult_adds']:>14,} {lc['mult_adds']:>11,}{mark}")
    lines.append(f"all measured counts match the formulas: {results['all_match']}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(results: dict, out_dir: Path) -> str | None:
    fig = new_figure(11.0, 4.0)
    if fig is None:
        return None
    param_ax, mult_ax = fig.subplots(1, 2)
    rows = results["rows"]
    m = np.array([row["m"] for row in rows], dtype=float)
    labels = {"fully_connected": "fully connected", "locally_connected": "locally connected",
              "convolutional": "convolutional"}
    # locally connected and convolutional layers have the same multiply-adds: wide + dashed
    styles = {"fully_connected": {}, "locally_connected": {"linewidth": 4, "alpha": 0.5},
              "convolutional": {"linestyle": "--"}}
    for i, kind in enumerate(KINDS):
        for ax, key in ((param_ax, "parameters"), (mult_ax, "mult_adds")):
            ax.plot(m, [row[kind][key] for row in rows], color=COLORS[i], marker="o",
                    markersize=3, label=labels[kind], **styles[kind])
        measured = [row for row in rows if "measured" in row]
        param_ax.scatter([row["m"] for row in measured],
                         [row["measured"][kind]["parameters"] for row in measured],
                         s=70, facecolors="none", edgecolors=COLORS[i])
        mult_ax.scatter([row["m"] for row in measured],
                        [row["measured"][kind]["connections"] for row in measured],
                        s=70, facecolors="none", edgecolors=COLORS[i])
    k = results["kernel"]
    param_ax.set_title(f"Parameters: mn vs nk vs k (filter {k}×{k})", fontsize=10)
    mult_ax.set_title("Multiply-adds: O(mn) vs O(nk)", fontsize=10)
    for ax, label in ((param_ax, "parameters (with biases)"),
                      (mult_ax, "multiply-adds per image")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("input nodes m (n ≈ m outputs)")
        ax.set_ylabel(label)
        ax.scatter([], [], s=70, facecolors="none", edgecolors="gray",
                   label="measured on the layer")
        ax.legend(fontsize=8)
        ax.grid(True, which="major", alpha=0.3)
    return save(fig, out_dir, "connectivity.png")
