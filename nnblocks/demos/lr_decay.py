r"""``nnblocks demo lr-decay``: minibatch SGD needs a decaying learning rate to converge.

The lecture: "It is necessary to decrease the learning rate over time. This is because the SGD
gradient estimator introduces a source of noise (the random sampling of m training examples)
that does not vanish even when we arrive at a minimum." A sufficient condition for convergence
(Robbins & Monro 1951) is

.. math::
    \sum_{k=1}^{\infty} \epsilon_k = \infty \quad\text{and}\quad
    \sum_{k=1}^{\infty} \epsilon_k^2 < \infty .

The demo fits a linear least-squares model (``Linear(5, 1, bias=False)``, mean squared error,
1000 samples with noisy targets) by SGD on minibatches of 4 and measures the squared distance
:math:`\lVert w_k - \hat w \rVert^2` to the minimizer :math:`\hat w` of the *total* cost (the
least-squares solution), averaged over a few independent runs. Three schedules
:math:`\epsilon_k = \epsilon_0 / (1 + \gamma k)^p` (``optim.lr_scheduler.InverseTimeLR``), same
:math:`\epsilon_0` and :math:`\gamma`:

- p = 0, constant: :math:`\sum \epsilon_k^2 = \infty`; the iterate keeps jumping around
  :math:`\hat w` at a *noise floor* proportional to :math:`\epsilon_0`;
- p = 1: satisfies both conditions; the error keeps falling, far below the noise floor;
- p = 2: :math:`\sum \epsilon_k < \infty`; the steps shrink so fast that the iterate freezes
  before reaching :math:`\hat w`.

Full-batch gradient descent, whose gradient vanishes at the minimum, converges with the constant
rate (shown for reference).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.demos._plot import COLORS, new_figure, save
from nnblocks.optim.lr_scheduler import InverseTimeLR

LR = 0.05            # epsilon_0
GAMMA = 0.05         # decay speed of the schedules
BATCH = 4
STEPS = 5000
REPEATS = 3
FEATURES = 5
SAMPLES = 1000
NOISE = 0.5          # standard deviation of the target noise
#: label → power p of the schedule
SCHEDULES = {"constant (p = 0)": 0.0, "1/k (p = 1, Robbins-Monro)": 1.0,
             "1/k² (p = 2, Σε < ∞)": 2.0}


def regression_problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X (N, D)``, noisy targets ``y (N,)`` and the least-squares minimizer ``w_hat (D,)``."""
    X = rng.standard_normal((SAMPLES, FEATURES))                            # (N, D)
    w_true = rng.standard_normal(FEATURES)                                  # (D,)
    y = X @ w_true + NOISE * rng.standard_normal(SAMPLES)                   # (N,)
    w_hat = np.linalg.lstsq(X, y, rcond=None)[0]                            # (D,)
    return X, y, w_hat


def sgd_errors(X: np.ndarray, y: np.ndarray, w_hat: np.ndarray, power: float, steps: int,
               rng: np.random.Generator, batch: int | None = BATCH) -> tuple[np.ndarray, bool]:
    """``||w_k - w_hat||^2`` after each of ``steps`` SGD steps from w = 0 with the rate
    ``LR / (1 + GAMMA k)^power`` (``batch=None``: full-batch gradient descent); also whether the
    schedule satisfies Robbins–Monro."""
    model = nn.Linear(X.shape[1], 1, bias=False, dtype=np.float64, rng=rng)
    model.weight.array[...] = 0.0
    optimizer = optim.SGD(model.parameters(), lr=LR)
    schedule = InverseTimeLR(optimizer, gamma=GAMMA if power > 0 else 0.0, power=power)
    errors = np.empty(steps)
    for k in range(steps):
        rows = slice(None) if batch is None else rng.integers(0, len(X), size=batch)
        optimizer.zero_grad()
        prediction = model(nb.tensor(X[rows]))[:, 0]                         # (B,)
        loss = F.mse_loss(prediction, nb.tensor(y[rows]))
        loss.backward()
        optimizer.step()
        schedule.step()
        errors[k] = float(((model.weight.array[0] - w_hat) ** 2).sum())
    return errors, schedule.satisfies_robbins_monro()


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *, steps: int = STEPS,
        repeats: int = REPEATS) -> dict:
    """Run every schedule ``repeats`` times; save ``out_dir/lr_decay.png`` when matplotlib is
    available.

    Returns ``steps``, ``lr0``, ``gamma``, and per schedule (``constant``, ``inverse``,
    ``inverse_square``): ``power``, ``robbins_monro``, ``final_error`` (mean over runs and over
    the last 10% of the steps), ``midway_error`` (same, over the 10% before the middle);
    ``noise_floor`` (the constant rate's mean error over the second half); ``full_batch_final``
    (gradient descent, constant rate); and ``figure``.
    """
    generator = get_rng(rng)
    X, y, w_hat = regression_problem(generator)
    keys = dict(zip(SCHEDULES, ("constant", "inverse", "inverse_square")))
    curves = {}
    results: dict = {"steps": int(steps), "lr0": LR, "gamma": GAMMA, "batch": BATCH}
    tail = max(1, steps // 10)
    middle = steps // 2
    for label, power in SCHEDULES.items():
        runs = [sgd_errors(X, y, w_hat, power, steps, generator) for _ in range(repeats)]
        mean = np.mean([errors for errors, _ in runs], axis=0)              # (steps,)
        curves[label] = mean
        results[keys[label]] = {
            "label": label,
            "power": power,
            "robbins_monro": bool(runs[0][1]),
            "final_error": float(mean[-tail:].mean()),
            "midway_error": float(mean[max(0, middle - tail):middle].mean()),
        }
    results["noise_floor"] = float(curves[next(iter(SCHEDULES))][middle:].mean())
    full, _ = sgd_errors(X, y, w_hat, 0.0, min(steps, 500), generator, batch=None)
    results["full_batch_final"] = float(full[-1])
    results["figure"] = _figure(curves, full, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    lines = [f"minibatch SGD (batch {results['batch']}) on least squares, "
             f"lr_k = {results['lr0']} / (1 + {results['gamma']} k)^p, {results['steps']} steps",
             "  schedule                      Robbins-Monro   ||w - w_hat||^2 midway     final"]
    for key in ("constant", "inverse", "inverse_square"):
        r = results[key]
        lines.append(f"  {r['label']:<29} {r['robbins_monro']!s:<15} {r['midway_error']:12.2e}"
                     f"   {r['final_error']:.2e}")
    lines.append(f"  noise floor of the constant rate: {results['noise_floor']:.2e}; full-batch "
                 f"gradient descent, constant rate: {results['full_batch_final']:.1e}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(curves: dict, full: np.ndarray, results: dict, out_dir: Path) -> str | None:
    fig = new_figure(11.0, 4.0)
    if fig is None:
        return None
    err_ax, lr_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
    steps = np.arange(1, results["steps"] + 1)
    for i, (label, mean) in enumerate(curves.items()):
        err_ax.loglog(steps, mean, color=COLORS[i], label=f"SGD, {label}")
        lr_ax.loglog(steps, LR / (1.0 + GAMMA * steps * (SCHEDULES[label] > 0))
                     ** SCHEDULES[label], color=COLORS[i], label=label)
    err_ax.loglog(np.arange(1, len(full) + 1), np.maximum(full, 1e-30), color="gray",
                  linestyle=":", label="full-batch GD, constant rate")
    err_ax.axhline(results["noise_floor"], color=COLORS[0], linestyle="--", linewidth=0.8,
                   label="noise floor of the constant rate")
    err_ax.set_ylim(max(1e-7, min(float(m.min()) for m in curves.values()) / 3), None)
    err_ax.set_xlabel("step k")
    err_ax.set_ylabel("||w_k − ŵ||²  (mean of runs)")
    err_ax.set_title(f"Minibatch SGD (batch {results['batch']}): distance to the minimum",
                     fontsize=10)
    err_ax.legend(fontsize=8, loc="lower left")
    lr_ax.set_xlabel("step k")
    lr_ax.set_ylabel("learning rate ε_k")
    lr_ax.set_title("Schedules ε_k = ε₀ / (1 + γk)^p", fontsize=10)
    lr_ax.legend(fontsize=8, loc="lower left")
    return save(fig, out_dir, "lr_decay.png")
