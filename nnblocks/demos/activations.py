r"""``nnblocks demo activations``: the lecture's activation functions and their derivatives.

The lecture's non-linearities,

.. math::
    \sigma(x) = \frac{1}{1 + e^{-x}}, \quad \tanh(x), \quad \mathrm{ReLU}(x) = \max(0, x), \quad
    \mathrm{ELU}(x) = \begin{cases} x & x \ge 0 \\ \alpha (e^x - 1) & x < 0 \end{cases},
    \quad \text{maxout: } \max(w_1^\top x + b_1,\; w_2^\top x + b_2),

are evaluated by nnblocks' blocks on a grid, and every derivative is what the block's
``backward`` returns (one ``y.backward()`` per function; each output depends on its own input
only, so ``x.grad`` is the element-wise derivative). No derivative formula appears here: the
tests compare these autograd derivatives with the closed forms.

What it shows: sigmoid and tanh saturate (their slopes fall towards 0 for large :math:`|x|`,
the cause of vanishing gradients), sigmoid's slope never exceeds 1/4 and tanh's 1, ReLU's slope is
exactly 0 or 1, ELU is smooth for :math:`\alpha = 1` with slope :math:`e^x` on the left, and the
maxout unit is piecewise linear with the slopes of its pieces.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
from nnblocks.demos._plot import COLORS, new_figure, save

#: the two affine pieces of the maxout unit: slopes ``w_j`` and offsets ``b_j`` (scalar input)
MAXOUT_SLOPES = (-0.5, 1.0)
MAXOUT_OFFSETS = (0.0, -1.0)
#: ELU's alpha (PyTorch's default)
ELU_ALPHA = 1.0
NAMES = ("sigmoid", "tanh", "relu", "elu", "maxout")


def maxout_unit() -> nn.Maxout:
    """One maxout unit of a scalar input with the pieces :data:`MAXOUT_SLOPES`,
    :data:`MAXOUT_OFFSETS` (float64)."""
    unit = nn.Maxout(1, 1, num_pieces=2, dtype=np.float64, rng=np.random.default_rng(0))
    unit.weight.array[...] = np.array(MAXOUT_SLOPES).reshape(1, 2, 1)     # (out, k, in)
    unit.bias.array[...] = np.array(MAXOUT_OFFSETS).reshape(1, 2)         # (out, k)
    return unit


def curves(x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (f(x), f'(x))}`` for the :data:`NAMES`, values from the blocks' forward and
    derivatives from their backward; ``x`` is a 1-D float64 grid."""
    unit = maxout_unit()
    functions = {
        "sigmoid": F.sigmoid,
        "tanh": F.tanh,
        "relu": F.relu,
        "elu": lambda t: F.elu(t, alpha=ELU_ALPHA),
        "maxout": lambda t: unit(t.reshape(-1, 1)).reshape(-1),      # (N, 1) -> (N,)
    }
    out = {}
    for name, function in functions.items():
        t = nb.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)   # (N,)
        y = function(t)                                                      # (N,)
        y.backward(np.ones_like(y.array))        # dy_i/dx_i, since y_i depends on x_i alone
        out[name] = (y.array.copy(), t.grad.array.copy())
    return out


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        points: int = 401, limit: float = 5.0) -> dict:
    """Evaluate the activations on ``points`` values in ``[-limit, limit]``; save
    ``out_dir/activations.png`` when matplotlib is available.

    ``rng`` is unused (the demo is deterministic); it is accepted for the common signature.

    Returns, per activation, ``max_slope`` and where it is reached (``argmax_slope``), the
    slopes at both ends of the grid (``slope_left``, ``slope_right``: saturation shows as
    values near 0), ``min_slope``; and ``figure`` (the PNG path, or None).
    """
    x = np.linspace(-limit, limit, points)                                   # (N,)
    table = curves(x)
    results: dict = {"limit": float(limit), "points": int(points)}
    for name, (_, slope) in table.items():
        results[name] = {
            "max_slope": float(slope.max()),
            "argmax_slope": float(x[int(slope.argmax())]),
            "min_slope": float(slope.min()),
            "slope_left": float(slope[0]),
            "slope_right": float(slope[-1]),
        }
    results["figure"] = _figure(x, table, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    """A short text table of :func:`run`'s numbers."""
    lim = results["limit"]
    lines = [f"activation   max f'  (at x)    f'(-{lim:g})    f'(+{lim:g})   (f' from backward)"]
    for name in NAMES:
        r = results[name]
        lines.append(f"{name:<10} {r['max_slope']:8.4f} ({r['argmax_slope']:+5.2f})  "
                     f"{r['slope_left']:10.2e}  {r['slope_right']:10.2e}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(x: np.ndarray, table: dict, out_dir: Path) -> str | None:
    fig = new_figure(12.0, 3.6)
    if fig is None:
        return None
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1]})
    titles = {"sigmoid": "sigmoid σ(x)", "tanh": "tanh(x)", "relu": "ReLU max(0, x)",
              "elu": f"ELU (α = {ELU_ALPHA:g})", "maxout": "maxout (2 pieces)"}
    value_ax, slope_ax, maxout_ax = axes
    # ReLU and ELU coincide for x > 0: ReLU wide underneath, ELU dashed on top
    styles = {"sigmoid": {}, "tanh": {}, "relu": {"linewidth": 4, "alpha": 0.5},
              "elu": {"linestyle": "--"}}
    for i, name in enumerate(NAMES[:4]):
        y, slope = table[name]
        value_ax.plot(x, y, color=COLORS[i], label=titles[name], **styles[name])
        slope_ax.plot(x, slope, color=COLORS[i], label=f"{name}'", **styles[name])
    value_ax.set_title("Activations f(x)")
    value_ax.set_ylim(-1.5, 3.0)
    slope_ax.set_title("Derivatives f'(x) from the blocks' backward")
    for ax, label in ((value_ax, "f(x)"), (slope_ax, "f'(x)")):
        ax.set_xlabel("x")
        ax.set_ylabel(label)
        ax.axhline(0.0, color="black", linewidth=0.5)
        ax.axvline(0.0, color="black", linewidth=0.5)
        ax.legend(fontsize=8, loc="upper left")
    y, slope = table["maxout"]
    for j, (w, b) in enumerate(zip(MAXOUT_SLOPES, MAXOUT_OFFSETS)):
        maxout_ax.plot(x, w * x + b, color="gray", linestyle=":", linewidth=1,
                       label=f"piece {j + 1}: {w:g}x {b:+g}")
    maxout_ax.plot(x, y, color=COLORS[4], linewidth=2, label="max of the pieces")
    maxout_ax.plot(x, slope, color=COLORS[5], linestyle="--", label="derivative (backward)")
    maxout_ax.set_title("Maxout unit max(w₁x + b₁, w₂x + b₂)")
    maxout_ax.set_xlabel("x")
    maxout_ax.set_ylabel("value / derivative")
    maxout_ax.set_ylim(-2.0, 4.5)
    maxout_ax.legend(fontsize=8, loc="upper left")
    return save(fig, out_dir, "activations.png")
