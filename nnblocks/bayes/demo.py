"""``nnblocks demo bayes``: the sprinkler network, exact and sampled.

Shows, on Cloudy -> {Sprinkler, Rain} -> WetGrass:

1. the prior :math:`P(\\text{Rain})` and the posterior
   :math:`P(\\text{Rain} \\mid \\text{WetGrass})`;
2. explaining away: :math:`P(\\text{Sprinkler} \\mid \\text{WetGrass})` drops once Rain is also
   observed, since rain alone explains the wet grass;
3. rejection sampling and likelihood weighting estimates of
   :math:`P(\\text{Rain} \\mid \\text{WetGrass})` approaching the exact value as the number of
   samples grows (mean and spread over repeated runs).

:func:`run` returns the numbers and, when matplotlib is importable, saves ``bayes.png``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnblocks._random import get_rng
from nnblocks.bayes.examples import sprinkler
from nnblocks.bayes.sampling import estimate, likelihood_weighting, rejection_sample

SAMPLE_SIZES = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
REPEATS = 20  # independent runs per sample size, for the mean and spread of each estimator


def run(
    out_dir: str | Path,
    rng: np.random.Generator | None = None,
    *,
    sample_sizes: Sequence[int] = SAMPLE_SIZES,
    repeats: int = REPEATS,
) -> dict:
    """Compute the demo's numbers, save ``out_dir/bayes.png`` if matplotlib is available.

    Takes about two seconds with the defaults (``sample_sizes`` and ``repeats`` exist so tests
    can run a smaller version).

    Returns a JSON-ready dict: exact probabilities (``prior_rain``,
    ``posterior_rain_given_wet``, ``sprinkler_given_wet``, ``sprinkler_given_wet_and_rain``),
    and per sample size in ``n_samples`` the mean and standard deviation over ``repeats`` runs of
    the rejection and likelihood-weighting estimates of P(Rain=true | WetGrass=true), their mean
    absolute error (the total variation distance for a binary variable), the mean number of
    samples rejection kept, and ``figure`` (the PNG path, or None).
    """
    generator = get_rng(rng)
    net = sprinkler()
    wet = {"WetGrass": "true"}
    results: dict = {
        "prior_rain": net.query("Rain").to_dict()["true"],
        "posterior_rain_given_wet": net.query("Rain", wet).to_dict()["true"],
        "sprinkler_given_wet": net.query("Sprinkler", wet).to_dict()["true"],
        "sprinkler_given_wet_and_rain": net.query(
            "Sprinkler", {"WetGrass": "true", "Rain": "true"}
        ).to_dict()["true"],
        "n_samples": [int(n) for n in sample_sizes],
        "repeats": int(repeats),
    }
    exact = results["posterior_rain_given_wet"]
    for method in ("rejection", "weighting"):
        for key in ("mean", "std", "tv"):
            results[f"{method}_{key}"] = []
    results["rejection_kept"] = []
    for n in results["n_samples"]:
        rejected, weighted, kept = [], [], []
        for _ in range(results["repeats"]):
            samples = rejection_sample(net, n, wet, rng=generator)
            kept.append(len(samples))
            if len(samples):
                rejected.append(estimate(net, samples, "Rain")[0])
            samples, weights = likelihood_weighting(net, n, wet, rng=generator)
            weighted.append(estimate(net, samples, "Rain", weights)[0])
        for method, values in (("rejection", rejected), ("weighting", weighted)):
            array = np.asarray(values)
            results[f"{method}_mean"].append(float(array.mean()))
            results[f"{method}_std"].append(float(array.std()))
            results[f"{method}_tv"].append(float(np.abs(array - exact).mean()))
        results["rejection_kept"].append(float(np.mean(kept)))
    results["figure"] = _figure(net, results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    """A short text report of :func:`run`'s numbers."""
    exact = [
        ("P(Rain=true)", results["prior_rain"], ""),
        ("P(Rain=true | WetGrass=true)", results["posterior_rain_given_wet"], ""),
        ("P(Sprinkler=true | WetGrass=true)", results["sprinkler_given_wet"], ""),
        (
            "P(Sprinkler=true | WetGrass=true, Rain=true)",
            results["sprinkler_given_wet_and_rain"],
            "  (explaining away)",
        ),
    ]
    lines = ["Sprinkler network: Cloudy -> {Sprinkler, Rain} -> WetGrass"]
    lines += [f"  {label:<45} = {value:.4f}{note}" for label, value, note in exact]
    lines += [
        f"  sampled P(Rain=true | WetGrass=true), mean |error| over {results['repeats']} runs:",
        "        n   rejection   weighting",
    ]
    for n, r, w in zip(
        results["n_samples"], results["rejection_tv"], results["weighting_tv"], strict=True
    ):
        lines.append(f"  {n:>7}   {r:9.4f}   {w:9.4f}")
    if results["figure"]:
        lines.append(f"  figure: {results['figure']}")
    return "\n".join(lines)


def _figure(net: object, results: dict, out_dir: Path) -> str | None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    from nnblocks.bayes.drawing import draw

    out_dir.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(13.0, 3.8))
    graph_ax, bars_ax, conv_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.1, 1.5]})
    draw(net, ax=graph_ax, observed=["WetGrass"], title="Sprinkler network (WetGrass observed)")

    labels = ["P(R)", "P(R | W)", "P(S | W)", "P(S | W, R)"]
    values = [
        results["prior_rain"],
        results["posterior_rain_given_wet"],
        results["sprinkler_given_wet"],
        results["sprinkler_given_wet_and_rain"],
    ]
    bars_ax.bar(labels[:2], values[:2], color=["#9db4d6", "#2f5f9e"], label="Rain = true")
    bars_ax.bar(labels[2:], values[2:], color=["#e3a66f", "#b5561b"], label="Sprinkler = true")
    for i, v in enumerate(values):
        bars_ax.text(i, v + 0.02, f"{v:.3f}", ha="center", fontsize=8)
    bars_ax.set_ylim(0, 1)
    bars_ax.set_ylabel("probability")
    bars_ax.set_xlabel("query (R = Rain, S = Sprinkler, W = WetGrass = true)")
    bars_ax.set_title("Exact: posterior and explaining away")
    bars_ax.legend(fontsize=8, loc="upper right")

    n = np.asarray(results["n_samples"], dtype=float)
    exact = results["posterior_rain_given_wet"]
    conv_ax.axhline(exact, color="black", linestyle="--", linewidth=1, label=f"exact {exact:.4f}")
    conv_ax.errorbar(
        n * 0.95,
        results["rejection_mean"],
        yerr=results["rejection_std"],
        marker="o",
        markersize=4,
        capsize=3,
        label="rejection sampling",
    )
    conv_ax.errorbar(
        n * 1.05,
        results["weighting_mean"],
        yerr=results["weighting_std"],
        marker="s",
        markersize=4,
        capsize=3,
        label="likelihood weighting",
    )
    conv_ax.set_xscale("log")
    conv_ax.set_xlabel("number of samples n")
    conv_ax.set_ylabel("estimate of P(Rain | WetGrass)")
    conv_ax.set_title(f"Sampled vs exact (mean ± std over {results['repeats']} runs)")
    conv_ax.legend(fontsize=8)
    fig.tight_layout()
    path = out_dir / "bayes.png"
    fig.savefig(path, dpi=80)
    return str(path)
