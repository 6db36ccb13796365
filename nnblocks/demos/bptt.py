r"""``nnblocks demo bptt``: backpropagation through time, vanishing and exploding gradients, and
gradient clipping.

The lecture's recurrent network :math:`h^{(t)} = \tanh(b + W h^{(t-1)} + U x^{(t)})` is unfolded
in time: the same :class:`~nnblocks.nn.RNNCell` (shared parameters θ) is applied T times. For a
loss on the last state, :math:`L = v^\top h^{(T)}` (a fixed unit vector v, so
:math:`\lVert \partial L / \partial h^{(T)} \rVert = 1`), backpropagation through time gives

.. math::
    \frac{\partial L}{\partial h^{(T-k)}} = \Big( \prod_{t=T-k+1}^{T}
        \operatorname{diag}\big(1 - (h^{(t)})^2\big)\, W \Big)^{\!\top} v ,

a product of k Jacobians. The demo reads every :math:`\partial L / \partial h^{(T-k)}` from one
``backward()`` (``retain_grad()`` on the unrolled states) for recurrent weights
:math:`W = s\,Q` (Q a random orthogonal matrix, so s is the spectral radius and every singular
value of W): for small s the norm decays geometrically, like :math:`s^k` or faster (vanishing
gradients); for large s (here the tanh network is chaotic) it grows geometrically (exploding
gradients). The gradient w.r.t. :math:`h^{(0)}` is cross-checked against the fused BPTT block of
:class:`~nnblocks.nn.RNN` loaded with the same weights.

Then an RNN with large recurrent weights is trained by SGD on the adding problem, with and
without ``nn.utils.clip_grad_norm_``: without clipping the exploding gradient makes the
parameter updates :math:`\epsilon \lVert g \rVert` huge; with clipping at norm c every update has
norm at most :math:`\epsilon c` (the direction of the gradient is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nnblocks as nb
import nnblocks.functional as F
import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks._random import get_rng
from nnblocks.data import adding_problem
from nnblocks.demos._plot import COLORS, new_figure, save
from nnblocks.nn.utils import clip_grad_norm_

HIDDEN = 32
INPUTS = 2
LENGTH = 40
SCALES = (0.5, 0.9, 1.5, 3.0)     # spectral radius s of the recurrent weights
CLIP_SCALE = 3.0                  # recurrent weights of the clipping experiment
MAX_NORM = 1.0
LR = 0.05
TRAIN_STEPS = 30


def recurrent_cell(scale: float, rng: np.random.Generator) -> nn.RNNCell:
    """A tanh :class:`~nnblocks.nn.RNNCell` (float64) with ``weight_hh = scale · Q`` (Q random
    orthogonal) and zero biases."""
    cell = nn.RNNCell(INPUTS, HIDDEN, dtype=np.float64, rng=rng)
    q, _ = np.linalg.qr(rng.standard_normal((HIDDEN, HIDDEN)))             # (H, H)
    cell.weight_hh.array[...] = scale * q
    cell.bias_ih.array[...] = 0.0
    cell.bias_hh.array[...] = 0.0
    return cell


def state_gradient_norms(cell: nn.RNNCell, x: np.ndarray,
                         v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unroll ``cell`` over ``x`` (``(T, N, D)``) from h0 = 0 and backpropagate
    ``L = sum(h_T · v)``; returns ``||dL/dh_{T-k}||`` for k = 0..T (``(T + 1,)``) and
    ``dL/dh_0`` (``(N, H)``)."""
    length, batch = x.shape[:2]
    h = nb.tensor(np.zeros((batch, HIDDEN)), requires_grad=True)          # h_0, a leaf
    states = [h]
    for t in range(length):
        h = cell(nb.tensor(x[t]), h)                                       # (N, H)
        h.retain_grad()
        states.append(h)
    loss = (h * nb.tensor(v[None])).sum()
    loss.backward()
    norms = np.array([np.linalg.norm(states[length - k].grad.array) for k in range(length + 1)])
    return norms, states[0].grad.array


def fused_h0_gradient(cell: nn.RNNCell, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``dL/dh_0`` of the same network run by :class:`~nnblocks.nn.RNN` (one fused block)."""
    rnn = nn.RNN(INPUTS, HIDDEN, dtype=np.float64, rng=np.random.default_rng(0))
    rnn.load_state_dict({"weight_ih_l0": cell.weight_ih.array, "weight_hh_l0": cell.weight_hh.array,
                         "bias_ih_l0": cell.bias_ih.array, "bias_hh_l0": cell.bias_hh.array})
    h0 = nb.tensor(np.zeros((1, x.shape[1], HIDDEN)), requires_grad=True)
    _, h_n = rnn(nb.tensor(x), h0)                                         # (1, N, H)
    (h_n[0] * nb.tensor(v[None])).sum().backward()
    return h0.grad.array[0]


def geometric_rate(norms: np.ndarray) -> float:
    """Per-step factor ρ of the least-squares fit ``log ||g_k|| ≈ a + k log ρ`` (norms > 0)."""
    k = np.arange(len(norms))
    keep = norms > 0
    slope = np.polyfit(k[keep], np.log(norms[keep]), 1)[0]
    return float(np.exp(slope))


def train_steps(clip: float | None, scale: float, steps: int, rng: np.random.Generator,
                length: int = LENGTH) -> dict:
    """SGD on the adding problem with an RNN whose recurrent weights are ``scale · Q``: per
    step the gradient norm, the update norm ``||θ_new - θ_old||`` and the loss; ``clip``: the
    max norm of ``clip_grad_norm_``, or None."""
    init = np.random.default_rng(12345)       # the same network with and without clipping
    rnn = nn.RNN(INPUTS, HIDDEN, dtype=np.float64, rng=init)
    q, _ = np.linalg.qr(init.standard_normal((HIDDEN, HIDDEN)))
    rnn.weight_hh_l0.array[...] = scale * q
    readout = nn.Linear(HIDDEN, 1, dtype=np.float64, rng=init)
    params = [*rnn.parameters(), *readout.parameters()]
    optimizer = optim.SGD(params, lr=LR)
    out: dict = {"grad_norm": [], "update_norm": [], "loss": []}
    for _ in range(steps):
        x, y = adding_problem(32, length, rng=rng)                         # (N, T, 2), (N, 1)
        inputs = nb.tensor(x.transpose(1, 0, 2).astype(np.float64))        # (T, N, 2)
        optimizer.zero_grad()
        output, _ = rnn(inputs)                                            # (T, N, H)
        loss = F.mse_loss(readout(output[-1]), nb.tensor(y.astype(np.float64)))
        loss.backward()
        if clip is None:
            norm = float(np.sqrt(sum(float((p.grad.array ** 2).sum()) for p in params)))
        else:
            norm = float(clip_grad_norm_(params, max_norm=clip))
        before = [p.array.copy() for p in params]
        with np.errstate(over="ignore", invalid="ignore"):
            optimizer.step()
        update = np.sqrt(sum(float(((p.array - b) ** 2).sum()) for p, b in zip(params, before)))
        out["grad_norm"].append(norm)
        out["update_norm"].append(float(update))
        out["loss"].append(float(loss.array))
    return out


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        scales: Sequence[float] = SCALES, length: int = LENGTH,
        train_steps_count: int = TRAIN_STEPS) -> dict:
    """Measure ``||dL/dh_{T-k}||`` per scale and run the clipping experiment; save
    ``out_dir/bptt.png`` when matplotlib is available.

    Returns ``scales``, ``length``, per scale ``norms`` (k = 0..T) and ``rate`` (fitted
    per-step factor), ``fused_max_diff`` (unrolled cells vs fused RNN block, dL/dh_0, largest
    over scales), ``lr``, ``max_norm``, ``unclipped`` and ``clipped`` (per-step ``grad_norm``,
    ``update_norm``, ``loss``), and ``figure``.
    """
    generator = get_rng(rng)
    x = 0.5 * generator.standard_normal((length, 1, INPUTS))                # (T, 1, D)
    v = generator.standard_normal(HIDDEN)
    v /= np.linalg.norm(v)
    results: dict = {"scales": [float(s) for s in scales], "length": int(length), "norms": {},
                     "rate": {}, "lr": LR, "max_norm": MAX_NORM}
    fused_diff = 0.0
    for scale in results["scales"]:
        cell = recurrent_cell(scale, generator)
        norms, g0 = state_gradient_norms(cell, x, v)
        fused_diff = max(fused_diff, float(np.abs(fused_h0_gradient(cell, x, v) - g0).max()
                                           / max(float(np.abs(g0).max()), 1e-300)))
        results["norms"][str(scale)] = norms.tolist()
        results["rate"][str(scale)] = geometric_rate(norms)
    results["fused_max_relative_diff"] = fused_diff
    results["unclipped"] = train_steps(None, CLIP_SCALE, train_steps_count,
                                       np.random.default_rng(generator.integers(2**32)))
    results["clipped"] = train_steps(MAX_NORM, CLIP_SCALE, train_steps_count,
                                     np.random.default_rng(generator.integers(2**32)))
    results["figure"] = _figure(results, Path(out_dir))
    return results


def format_results(results: dict) -> str:
    T = results["length"]
    lines = [f"tanh RNN, H = {HIDDEN}, T = {T}, W = s Q: ||dL/dh_(T-k)||",
             "      s     k=1        k=10       k=T      fitted factor per step"]
    for s in results["scales"]:
        n = results["norms"][str(s)]
        lines.append(f"  {s:5.2f}   {n[1]:9.2e}  {n[min(10, T)]:9.2e}  {n[T]:9.2e}   "
                     f"{results['rate'][str(s)]:.3f}")
    lines.append(f"unrolled cells vs fused RNN block, dL/dh_0: max relative difference "
                 f"{results['fused_max_relative_diff']:.1e}")
    bound = results["lr"] * results["max_norm"]
    for key in ("unclipped", "clipped"):
        r = results[key]
        lines.append(f"SGD (lr {results['lr']}, s = {CLIP_SCALE}) {key:>9}: largest gradient "
                     f"norm {max(r['grad_norm']):.2e}, largest update norm "
                     f"{max(r['update_norm']):.2e} (lr x max_norm = {bound:g}), final loss "
                     f"{r['loss'][-1]:.3g}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)


def _figure(results: dict, out_dir: Path) -> str | None:
    fig = new_figure(13.0, 4.0)
    if fig is None:
        return None
    norm_ax, update_ax, loss_ax = fig.subplots(1, 3)
    k = np.arange(results["length"] + 1)
    for i, s in enumerate(results["scales"]):
        norms = np.maximum(np.array(results["norms"][str(s)]), 1e-300)
        kind = "vanishing" if results["rate"][str(s)] < 1 else "exploding"
        norm_ax.semilogy(k, norms, color=COLORS[i], marker=".",
                         label=f"s = {s:g} ({kind}, ×{results['rate'][str(s)]:.2f}/step)")
    norm_ax.set_ylim(1e-12, None)
    norm_ax.set_xlabel("k (steps back in time)")
    norm_ax.set_ylabel("||∂L/∂h(T−k)||")
    norm_ax.set_title(f"BPTT through T = {results['length']} steps, W = s·Q", fontsize=10)
    norm_ax.legend(fontsize=7)
    steps = np.arange(1, len(results["clipped"]["update_norm"]) + 1)
    for key, color in (("unclipped", COLORS[3]), ("clipped", COLORS[2])):
        r = results[key]
        label = "no clipping" if key == "unclipped" else f"clip_grad_norm_({results['max_norm']:g})"
        update_ax.semilogy(steps, np.maximum(r["update_norm"], 1e-300), color=color,
                           marker="o", markersize=3, label=label)
        loss_ax.semilogy(steps, r["loss"], color=color, marker="o", markersize=3, label=label)
    update_ax.axhline(results["lr"] * results["max_norm"], color="black", linestyle="--",
                      linewidth=0.8, label="lr × max_norm")
    update_ax.set_xlabel("SGD step")
    update_ax.set_ylabel("||θ_new − θ_old||")
    update_ax.set_title(f"Update norm, s = {CLIP_SCALE:g} (exploding)", fontsize=10)
    update_ax.legend(fontsize=8)
    loss_ax.set_xlabel("SGD step")
    loss_ax.set_ylabel("MSE loss (adding problem)")
    loss_ax.set_title("Training loss", fontsize=10)
    loss_ax.legend(fontsize=8)
    return save(fig, out_dir, "bptt.png")
