r"""``nnblocks demo universal-approximation``: one hidden layer of sigmoids fits a continuous
function (Cybenko 1989).

Cybenko's theorem: finite sums :math:`G(x) = \sum_{j=1}^{N} \alpha_j\, \sigma(y_j x + \theta_j)`
(one hidden layer of N sigmoids and a linear output) are dense in the continuous functions on a
compact set: for every continuous f and :math:`\varepsilon > 0` some N and weights give
:math:`\max_x |G(x) - f(x)| < \varepsilon`. The theorem is about representation, not about
learning; here the network is also *trained*, to show that gradient descent finds such weights.

Target: :math:`f(x) = \sin x + 0.8\, e^{-((x - 1)/0.3)^2}` on :math:`[-\pi, \pi]` (a sine plus a
narrow bump). For each width N the network is ``Linear(1, N) → Sigmoid → Linear(N, 1,
bias=False)`` in float64 — exactly Cybenko's sum: hidden weights :math:`y_j` and biases
:math:`\theta_j`, output weights :math:`\alpha_j`, no output bias. It starts from Cybenko's
constructive picture — N steep sigmoids :math:`\sigma(s (x - c_j))` with their centres
:math:`c_j` spread evenly over the interval and steepness :math:`s` growing with N — its output
weights are set by least squares, and then all parameters are trained with Adam on the mean
squared error. The max error :math:`\max_x |G(x) - f(x)|` on a fine grid falls as N grows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save

WIDTHS = (2, 4, 8, 16, 32, 64)
STEPS = 1000          # Adam steps per width
LEARNING_RATE = 3e-3
#: steepness of the initial sigmoids, in units of the gap between neighbouring centres: σ rises
#: from 0.12 to 0.88 over about one gap
STEEPNESS = 4.0


def target(x: np.ndarray) -> np.ndarray:
    """:math:`f(x) = \\sin x + 0.8 \\exp(-((x - 1) / 0.3)^2)`."""
    return np.sin(x) + 0.8 * np.exp(-(((x - 1.0) / 0.3) ** 2))


def one_hidden_layer(width: int, rng: np.random.Generator) -> nn.Sequential:
    r"""``Linear(1, width) → Sigmoid → Linear(width, 1, bias=False)`` in float64: the sum
    :math:`\sum_j \alpha_j \sigma(y_j x + \theta_j)`."""
    return nn.Sequential(
        nn.Linear(1, width, dtype=np.float64, rng=rng),
        nn.Sigmoid(),
        nn.Linear(width, 1, bias=False, dtype=np.float64, rng=rng),
    )


def _spread_steps(net: nn.Sequential, x: np.ndarray, y: np.ndarray, low: float,
                  high: float) -> None:
    """Cybenko-style start: hidden unit j is a step at centre c_j (evenly spaced), output weights
    the least-squares fit of ``y`` given those steps."""
    width = net[0].out_features
    centres = np.linspace(low, high, width + 2)[1:-1]                       # (N,)
    slope = STEEPNESS * (width + 1) / (high - low)
    net[0].weight.array[:, 0] = slope
    net[0].bias.array[:] = -slope * centres
    with nb.no_grad():
        hidden = net[1](net[0](nb.tensor(x))).array                          # (P, N)
    net[2].weight.array[0] = np.linalg.lstsq(hidden, y[:, 0], rcond=None)[0]   # (N,)


def fit(width: int, x: np.ndarray, y: np.ndarray, steps: int, rng: np.random.Generator,
        lr: float = LEARNING_RATE) -> tuple[nn.Sequential, list[float]]:
    """Train one hidden layer of ``width`` sigmoids on ``(x, y)`` (``(P, 1)`` arrays); returns
    the network and its mean squared error after every step."""
    net = one_hidden_layer(width, rng)
    _spread_steps(net, x, y, float(x.min()), float(x.max()))
    optimizer = optim.Adam(net.parameters(), lr=lr)
    xt, yt = nb.tensor(x), nb.tensor(y)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(net(xt), yt)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.array))
    return net, losses


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        widths: Sequence[int] = WIDTHS, steps: int = STEPS, points: int = 256) -> dict:
    """Fit every width on ``points`` training points; save
    ``out_dir/universal_approximation.png`` when matplotlib is available.

    Returns ``widths``, per width the ``max_error`` (on a grid 4× finer than the training
    points, so between them too) and the final ``mse``, and ``figure``.
    """
    generator = get_rng(rng)
    x = np.linspace(-math.pi, math.pi, points)[:, None]                    # (P, 1)
    y = target(x)                                                           # (P, 1)
    grid = np.linspace(-math.pi, math.pi, 4 * points)[:, None]              # (4P, 1)
    results: dict = {"widths": [int(w) for w in widths], "steps": int(steps), "max_error": [],
                     "mse": []}
    fits = {}
    for width in results["widths"]:
        net, losses = fit(width, x, y, steps, generator)
        with nb.no_grad():
            prediction = net(nb.tensor(grid)).array                          # (4P, 1)
        fits[width] = prediction[:, 0]
        results["max_error"].append(float(np.abs(prediction - target(grid)).max()))
        results["mse"].append(losses[-1] if losses else float("nan"))
    results["figure"] = _figure(grid[:, 0], fits, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = ["one hidden layer of sigmoids fitting sin(x) + bump on [-pi, pi]",
             "  width   max |G(x) - f(x)|        mse"]
    for w, e, m in zip(results["widths"], results["max_error"], results["mse"]):
        lines.append(f"  {w:5d}   {e:17.4f}   {m:.2e}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(grid: np.ndarray, fits: dict, results: dict, out_dir: Path) -> str | None:
    fig = new_figure(11.0, 3.8)
    if fig is None:
        return None
    fit_ax, err_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
    shown = results["widths"][:: max(1, len(results["widths"]) // 3)][:3]
    if results["widths"][-1] not in shown:
        shown = [*shown[:2], results["widths"][-1]]
    for i, width in enumerate(shown):
        fit_ax.plot(grid, fits[width], color=COLORS[i], linewidth=2, label=f"N = {width} sigmoids")
    fit_ax.plot(grid, target(grid), color="black", linestyle="--", linewidth=1, label="target f(x)")
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("f(x), G(x)")
    fit_ax.set_title("f(x) = sin x + 0.8 exp(-((x-1)/0.3)²) and its fits")
    fit_ax.legend(fontsize=8, loc="lower right")
    err_ax.loglog(results["widths"], results["max_error"], marker="o", color=COLORS[3],
                  label="trained network")
    err_ax.axhline(0.05, color="gray", linestyle="--", linewidth=1, label="0.05")
    err_ax.set_xscale("log", base=2)
    err_ax.set_xlabel("hidden width N")
    err_ax.set_ylabel("max |G(x) - f(x)|")
    err_ax.set_title("Max error falls as the width grows")
    err_ax.legend(fontsize=8)
    return save(fig, out_dir, "universal_approximation.png")
