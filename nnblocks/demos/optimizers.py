r"""``nnblocks demo optimizers``: SGD, momentum, delta-bar-delta, Adagrad, RMSprop and Adam on
an ill-conditioned quadratic and on Rosenbrock's function.

Two 2-D problems, each written with nnblocks tensors (the gradient comes from ``backward``):

- the ill-conditioned quadratic :math:`f(x, y) = \tfrac12 (0.1\, x^2 + 10\, y^2)`, whose
  curvatures differ by a factor 100 ("the cost function is highly sensitive in some directions
  and insensitive in others"), started at (-4.5, 1.5);
- Rosenbrock's banana :math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, minimum at (1, 1) at the
  end of a long curved valley, started at (-1.5, 2).

The optimizers are nnblocks' (``optim.SGD``; ``optim.SGD(momentum=0.9)``, the lecture's
:math:`v = m v - \alpha \nabla f,\; w = w + v` with m = 0.9; ``optim.DeltaBarDelta`` (Jacobs
1988) with :math:`\kappa = 0.2\,\epsilon_0, \phi = 0.3, \theta = 0.7`; ``optim.Adagrad``;
``optim.RMSprop`` with the lecture's decay rate 0.9; ``optim.Adam`` with the lecture's
:math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-8}`, and with Kingma & Ba's bias
correction of m and v, which the lecture's three-line version leaves out). PyTorch's momentum
form :math:`b = m b + \nabla f,\; w = w - \alpha b` is the lecture's with :math:`v = -\alpha b`.

Learning rates are not a matter of taste: for each method and problem the demo runs every rate
of :data:`LEARNING_RATES` and keeps the one with the lowest mean of :math:`\log f` over the
second half of the run (where it has got to, robust to a lucky last step; a diverging run counts
as infinitely bad), so that each method is shown at its best.

What it shows: on the quadratic plain SGD's rate is capped by the steep direction (a larger one
diverges), so it crawls along the flat one, while the per-parameter rates of delta-bar-delta,
Adagrad, RMSprop and Adam rescale each direction and reach far lower losses in the same number of
steps; momentum accumulates speed along the flat direction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nnblocks.optim as optim
from nnblocks.demos._plot import COLORS, new_figure, save
from nnblocks.nn import Parameter

LEARNING_RATES = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
METHODS: dict[str, Callable[[list, float], optim.Optimizer]] = {
    "SGD": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "delta-bar-delta": lambda params, lr: optim.DeltaBarDelta(params, lr=lr, kappa=0.2 * lr,
                                                              phi=0.3, theta=0.7),
    "Adagrad": lambda params, lr: optim.Adagrad(params, lr=lr),
    "RMSprop": lambda params, lr: optim.RMSprop(params, lr=lr, alpha=0.9),
    "Adam": lambda params, lr: optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8),
}
ADAPTIVE = ("delta-bar-delta", "Adagrad", "RMSprop", "Adam")
#: a run whose parameters leave this box is stopped and counted as diverged
DIVERGED = 1e6


def quadratic(w: Any) -> Any:
    """:math:`\\tfrac12 (0.1 x^2 + 10 y^2)` of ``w = (x, y)`` (tensor or array)."""
    return 0.05 * w[0] ** 2 + 5.0 * w[1] ** 2


def rosenbrock(w: Any) -> Any:
    """:math:`(1 - x)^2 + 100 (y - x^2)^2` of ``w = (x, y)``."""
    return (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2


#: name → (function, start, minimum, default number of steps, plot box (x0, x1, y0, y1))
PROBLEMS = {
    "quadratic": (quadratic, (-4.5, 1.5), (0.0, 0.0), 100, (-5.0, 1.0, -2.0, 2.0)),
    "rosenbrock": (rosenbrock, (-1.5, 2.0), (1.0, 1.0), 600, (-2.0, 2.0, -1.0, 3.0)),
}


def trajectory(method: str, function: Callable[[Any], Any], start: Sequence[float], lr: float,
               steps: int) -> tuple[np.ndarray, list[float]]:
    """Minimize ``function`` from ``start`` with ``steps`` steps of ``method``: returns the
    points ``(steps + 1, 2)`` and the losses at them (``steps + 1``; cut short, ending in
    ``inf``, if the run diverges)."""
    w = Parameter(np.array(start, dtype=np.float64))
    optimizer = METHODS[method]([w], lr)
    points = [w.array.copy()]
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = function(w)
        loss.backward()
        losses.append(float(loss.array))
        with np.errstate(over="ignore", invalid="ignore"):
            optimizer.step()
        if not np.isfinite(w.array).all() or np.abs(w.array).max() > DIVERGED:
            return np.array(points), [*losses, float("inf")]
        points.append(w.array.copy())
    losses.append(float(function(w.array)))
    return np.array(points), losses


def best_run(method: str, problem: str, steps: int,
             rates: Sequence[float] = LEARNING_RATES) -> dict:
    """The run of ``method`` on ``problem`` with the lowest mean log-loss over the second half
    of the run, among ``rates``."""
    function, start = PROBLEMS[problem][:2]
    best: dict | None = None
    for lr in rates:
        points, losses = trajectory(method, function, start, lr, steps)
        late = np.array(losses[len(losses) // 2:])                         # inf if diverged
        score = float(np.mean(np.log(np.maximum(late, 1e-300))))
        if best is None or score < best["score"]:
            best = {"lr": lr, "points": points, "losses": losses, "score": score}
    return best


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        quadratic_steps: int = PROBLEMS["quadratic"][3],
        rosenbrock_steps: int = PROBLEMS["rosenbrock"][3],
        rates: Sequence[float] = LEARNING_RATES,
        methods: Sequence[str] = tuple(METHODS)) -> dict:
    """Run every method on both problems; save ``out_dir/optimizers.png`` when matplotlib is
    available. ``rng`` is unused (deterministic).

    Returns, per problem (``quadratic``, ``rosenbrock``), ``steps``, ``initial_loss`` and per
    method its chosen ``lr``, ``final_loss`` and ``distance`` (to the minimum) in ``methods``;
    and ``figure``.
    """
    steps = {"quadratic": quadratic_steps, "rosenbrock": rosenbrock_steps}
    results: dict = {"rates": list(rates)}
    runs: dict = {}
    for problem, (function, start, minimum, _, _) in PROBLEMS.items():
        runs[problem] = {m: best_run(m, problem, steps[problem], rates) for m in methods}
        results[problem] = {
            "steps": steps[problem],
            "initial_loss": float(function(np.array(start))),
            "methods": {
                m: {"lr": r["lr"], "final_loss": r["losses"][-1],
                    "distance": float(np.linalg.norm(r["points"][-1] - np.array(minimum)))}
                for m, r in runs[problem].items()
            },
        }
    results["figure"] = _figure(runs, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = []
    for problem in PROBLEMS:
        r = results[problem]
        lines.append(f"{problem}: {r['steps']} steps from loss {r['initial_loss']:.3g}")
        lines.append("  method            best lr   final loss   distance to minimum")
        for method, m in r["methods"].items():
            lines.append(f"  {method:<16} {m['lr']:8.0e}   {m['final_loss']:10.3e}   "
                         f"{m['distance']:.3e}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _contours(ax: Any, problem: str) -> None:
    function, start, minimum, _, (x0, x1, y0, y1) = PROBLEMS[problem]
    gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
    values = function(np.stack([gx, gy]))                                  # (150, 150)
    levels = np.geomspace(max(values.min(), 1e-3), values.max(), 14)
    ax.contour(gx, gy, values, levels=levels, colors="gray", linewidths=0.6)
    ax.plot(*minimum, marker="*", markersize=14, color="black")
    ax.annotate("minimum", minimum, xytext=(5, 5), textcoords="offset points", fontsize=8)
    ax.plot(*start, marker="o", markersize=6, color="black")
    ax.annotate("start", start, xytext=(5, 5), textcoords="offset points", fontsize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _figure(runs: dict, results: dict, out_dir: Path) -> str | None:
    fig = new_figure(10.0, 6.8)
    if fig is None:
        return None
    axes = fig.subplots(2, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    titles = {"quadratic": "Ill-conditioned quadratic ½(0.1x² + 10y²)",
              "rosenbrock": "Rosenbrock (1-x)² + 100(y-x²)²"}
    for (path_ax, loss_ax), problem in zip(axes, PROBLEMS):
        _contours(path_ax, problem)
        for i, (method, r) in enumerate(runs[problem].items()):
            label = f"{method} (lr {r['lr']:g})"
            path_ax.plot(r["points"][:, 0], r["points"][:, 1], color=COLORS[i], linewidth=1.2,
                         label=label)
            losses = np.maximum(np.array(r["losses"]), 1e-30)
            loss_ax.semilogy(np.arange(len(losses)), losses, color=COLORS[i], label=label)
        path_ax.set_title(f"{titles[problem]}: trajectories", fontsize=10)
        loss_ax.set_title(f"{titles[problem].split(' ')[0]}: loss vs step "
                          "(each at its best lr)", fontsize=10)
        loss_ax.set_xlabel("step")
        loss_ax.set_ylabel("f(x, y)")
        lowest = min(float(np.min(r["losses"])) for r in runs[problem].values())
        loss_ax.set_ylim(max(1e-16, lowest / 10), None)
        loss_ax.legend(fontsize=8, loc="lower left")
    return save(fig, out_dir, "optimizers.png")
