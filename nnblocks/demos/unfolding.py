r"""``nnblocks demo unfolding``: a recurrent network folded and unfolded, and backpropagation
through time on the unfolded graph equal to the fused RNN block's.

The lecture's recurrence :math:`h^{(t)} = f(h^{(t-1)}, x^{(t)}; \theta)` can be drawn two ways
(Goodfellow et al. 2016, Fig. 10.2): **folded**, one cell whose output comes back to its input
through a delay of one step, and **unfolded**, one copy of the cell per time step,

.. math::
    h^{(3)} = f(f(f(h^{(0)}, x^{(1)}; \theta), x^{(2)}; \theta), x^{(3)}; \theta),

every copy using the *same* parameters θ. Both pictures are read from the graph the forward
pass of :class:`~nnblocks.nn.RNN` recorded: folded it is one fused ``RNNLayer`` block with a delay
loop; unfolded (``graph(..., unfold=True)``) it is T one-step cells fed by one node per parameter,
marked as shared by T blocks.

Unfolded, the network is an ordinary feed-forward graph, so plain backpropagation on it *is*
BPTT: the gradient of a shared parameter is the sum of its gradients at each step. The demo
builds the unfolded graph twice — from T one-step cells, and from primitive blocks only
(:math:`a^{(t)} = b + W h^{(t-1)} + U x^{(t)}` with matmul and add, :math:`h^{(t)} =
\tanh(a^{(t)})`) — backpropagates through it, and compares every gradient (input, initial
state, :math:`U = W_{ih}`, :math:`W = W_{hh}`, both biases) with the fused block's hand-derived
BPTT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn
from nnblocks._random import get_rng
from nnblocks.demos.graph import side_by_side, write_graphs
from nnblocks.viz import graph
from nnblocks.viz.expand import rnn_primitives, rnn_unfolded

STEPS = 3
INPUTS = 2
HIDDEN = 4
BATCH = 2


def gradients(loss: Any, leaves: dict[str, Any]) -> dict[str, np.ndarray]:
    loss.backward()
    return {name: t.grad.array for name, t in leaves.items()}


def run(out_dir: str | Path, rng: np.random.Generator | None = None, *,
        steps: int = STEPS) -> dict:
    """Draw the RNN folded and unfolded for ``steps`` steps, check BPTT on the unfolded graphs
    against the fused block; save ``out_dir/unfolding.png`` when Graphviz and matplotlib are
    available (the DOT files always).

    Returns ``steps``; ``folded`` and ``unfolded`` (``blocks``, ``nodes``, ``edges``,
    ``delay_loops``, ``shared_parameters``: name → number of blocks reading it);
    ``max_relative_diff`` per unfolding (``cells``, ``primitives``) and per gradient;
    ``dot_files``; and ``figure``.
    """
    generator = get_rng(rng)
    rnn = nn.RNN(INPUTS, HIDDEN, dtype=np.float64, rng=generator)
    x = generator.standard_normal((steps, BATCH, INPUTS))                  # (T, N, D)
    h0 = generator.standard_normal((1, BATCH, HIDDEN))                     # (1, N, H)
    v = generator.standard_normal((steps, BATCH, HIDDEN))                  # loss weights
    names = ["x", "h0", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]

    x_t, h0_t = nb.tensor(x, requires_grad=True), nb.tensor(h0, requires_grad=True)
    output, _ = rnn(x_t, h0_t)                                             # (T, N, H)
    v_t = nb.tensor(v)
    loss = (output * v_t).sum()                                            # L = sum_t v_t . h_t
    data = {"x": x_t, "h0": h0_t, "v (loss weights)": v_t}
    pictures = {"unfolding_folded": graph(loss, params=rnn, inputs=data),
                "unfolding_unfolded": graph(loss, params=rnn, inputs=data, unfold=True)}
    saved = _layer_node(output).saved                  # the layer's hyper-parameters
    fused = gradients(loss, {"x": x_t, "h0": h0_t, **dict(rnn.named_parameters())})

    diffs: dict[str, dict[str, float]] = {}
    for label, unfold in (("cells", rnn_unfolded), ("primitives", rnn_primitives)):
        leaves = {name: nb.tensor(value.copy(), requires_grad=True)    # fresh leaves
                  for name, value in _values(x, h0, rnn).items()}
        inputs = [leaves["x"], leaves["h0"][0], *(leaves[n] for n in names[2:])]
        y, _ = unfold(inputs, saved)                                       # (T, N, H)
        grads = gradients((y * nb.tensor(v)).sum(), leaves)
        diffs[label] = {n: _relative(grads[n], fused[n]) for n in names}

    results: dict[str, Any] = {"steps": int(steps), "max_relative_diff": diffs}
    for key, g in pictures.items():
        results[key.split("_")[1]] = {
            "blocks": sum(n.kind == "block" for n in g.nodes), "nodes": len(g.nodes),
            "edges": len(g.edges), "delay_loops": sum(e.kind == "delay" for e in g.edges),
            "shared_parameters": {n.name: n.shared for n in g.nodes if n.shared > 1}}
    out = Path(out_dir)
    paths = write_graphs(pictures, out / "graphs")
    results["dot_files"] = [str(out / "graphs" / f"{k}.dot") for k in pictures]
    results["figure"] = side_by_side(
        [(paths["unfolding_folded"], "folded: one cell, a delay loop h(t−1) → h(t)"),
         (paths["unfolding_unfolded"], f"unfolded for T = {steps}: shared parameters "
                                       "(orange) read by every cell")],
        out, "unfolding.png", widths=[1.0, 1.8], height=7.5)
    return results


def _layer_node(output: Any) -> Any:
    """The fused ``RNNLayer`` node under ``nn.RNN``'s output (through its reshaping blocks)."""
    node = output.grad_fn
    while node.block.label() != "RNNLayer":
        node = next(t for t in node.inputs if t is not None and t.grad_fn is not None).grad_fn
    return node


def _values(x: np.ndarray, h0: np.ndarray, rnn: Any) -> dict[str, np.ndarray]:
    return {"x": x, "h0": h0, **{n: p.array for n, p in rnn.named_parameters()}}


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(float(np.abs(b).max()), 1e-300))


def format_results(results: dict) -> str:
    lines = [f"tanh RNN, T = {results['steps']}, drawn from the recorded graph:"]
    for key in ("folded", "unfolded"):
        r = results[key]
        shared = ", ".join(f"{n} x{k}" for n, k in r["shared_parameters"].items()) or "none"
        lines.append(f"  {key:<9} {r['blocks']:2d} blocks, {r['nodes']:2d} nodes, "
                     f"{r['edges']:2d} edges, {r['delay_loops']} delay loop(s); shared: "
                     f"{shared}")
    lines.append("BPTT on the unfolded graph vs the fused RNN block (max relative difference):")
    for label, diffs in results["max_relative_diff"].items():
        worst = max(diffs, key=diffs.get)
        lines.append(f"  unfolded into {label:<10}: {diffs[worst]:.1e} (largest, dL/d{worst})")
    lines.append(f"DOT: {', '.join(results['dot_files'])}")
    if results["figure"]:
        lines.append(f"figure: {results['figure']}")
    return "\n".join(lines)
