r"""Sampling from a Bayesian network with an explicit random generator.

Ancestral (forward) sampling draws each node in topological order from its CPT row given the
parents already drawn, so one pass yields an exact draw from
:math:`P(\mathbf{x}) = \prod_i P(x_i \mid \mathrm{pa}(x_i))`. All ``n`` samples are drawn at once,
node by node (vectorized over samples).

Rejection sampling keeps the forward samples that agree with the evidence; they are exact draws
from :math:`P(\mathbf{x} \mid \mathbf{e})`, but only a fraction :math:`P(\mathbf{e})` survives.

Likelihood weighting clamps evidence nodes to their observed values instead of sampling them and
gives each sample the weight

.. math::
    w = \prod_{E_j \in \mathbf{E}} P\big(e_j \mid \mathrm{pa}(E_j)\big),

so that :math:`\hat P(x \mid \mathbf{e}) = \sum_m w_m [x^{(m)} = x] / \sum_m w_m` is a consistent
estimate (self-normalized importance sampling with the clamped forward pass as proposal).

Output: an int array of state indices of shape ``(N, n_nodes)`` with columns in ``net.nodes``
order, or with ``as_dict=True`` a dict ``{node: array of state names}``. Randomness comes only
from ``rng`` (or the library's default generator via :func:`nnblocks._random.get_rng`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from nnblocks._random import get_rng
from nnblocks.bayes.data import encode_column
from nnblocks.bayes.errors import BayesNetError

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet, State

Samples = np.ndarray | dict[str, np.ndarray]


def forward_sample(
    net: BayesNet,
    n: int,
    *,
    rng: np.random.Generator | None = None,
    as_dict: bool = False,
) -> Samples:
    """``n`` independent draws from the joint distribution (ancestral sampling).

    Shapes:
        returns ``(n, len(net.nodes))`` int state indices, or ``{node: (n,) state names}``.
    """
    samples, _ = _ancestral(net, _check_n(n), {}, get_rng(rng))
    return _output(net, samples, as_dict)


def rejection_sample(
    net: BayesNet,
    n: int,
    evidence: Mapping[str, State],
    *,
    rng: np.random.Generator | None = None,
    as_dict: bool = False,
) -> Samples:
    """Draw ``n`` forward samples and keep those consistent with ``evidence``.

    The number kept is random (about ``n * P(evidence)``) and may be zero.
    """
    generator = get_rng(rng)
    observed = _observed(net, evidence)
    samples, _ = _ancestral(net, _check_n(n), {}, generator)
    nodes = net.nodes
    keep = np.ones(len(samples), dtype=bool)
    for node, index in observed.items():
        keep &= samples[:, nodes.index(node)] == index
    return _output(net, samples[keep], as_dict)


def likelihood_weighting(
    net: BayesNet,
    n: int,
    evidence: Mapping[str, State],
    *,
    rng: np.random.Generator | None = None,
    as_dict: bool = False,
) -> tuple[Samples, np.ndarray]:
    """``n`` samples with evidence clamped, and their likelihood weights (shape ``(n,)``)."""
    observed = _observed(net, evidence)
    samples, weights = _ancestral(net, _check_n(n), observed, get_rng(rng))
    return _output(net, samples, as_dict), weights


def estimate(
    net: BayesNet,
    samples: Samples,
    variable: str,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    r"""(Weighted) relative frequencies of ``variable``'s states, shape ``(card(variable),)``.

    .. math:: \hat P(x) = \frac{\sum_m w_m [x^{(m)} = x]}{\sum_m w_m}

    with :math:`w_m = 1` when ``weights`` is None.
    """
    net.check_nodes(variable, "estimated variable")
    card = net.cardinality(variable)
    if isinstance(samples, dict):
        column = encode_column(net, variable, samples[variable])
    else:
        column = np.asarray(samples)[:, net.nodes.index(variable)]
    w = np.ones(len(column)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != column.shape:
        raise BayesNetError(f"estimate: {len(column)} samples but weights of shape {w.shape}")
    total = float(w.sum())
    if not total > 0.0:
        raise BayesNetError(
            f"estimate of '{variable}': no sample carries weight (none kept, or all weights 0)"
        )
    return np.bincount(column, weights=w, minlength=card) / total


# ------------------------------------------------------------------------------------ helpers
def _ancestral(
    net: BayesNet, n: int, clamped: dict[str, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass in topological order; clamped nodes are set and multiply the weights."""
    net.check_model()
    nodes = net.nodes
    samples = np.zeros((n, len(nodes)), dtype=np.intp)
    weights = np.ones(n)
    for node in net.topological_order():
        cpt = net.cpt(node)
        parent_index = tuple(samples[:, nodes.index(p)] for p in cpt.parents)
        column = nodes.index(node)
        if node in clamped:
            samples[:, column] = clamped[node]
            weights *= cpt.values[(*parent_index, clamped[node])]  # (n,) P(e | pa(E))
        else:
            cdf = _cdf(cpt.values)[parent_index]  # (n, card), or (card,) for a root
            u = rng.random(n)  # (n,) in [0, 1)
            samples[:, column] = np.sum(cdf <= u[:, None], axis=-1)  # first state with cdf > u
    return samples, weights


def _cdf(table: np.ndarray) -> np.ndarray:
    """Cumulative sums along the child axis, divided by the row total.

    After the division the entry of the last state of positive probability (and every later
    one) is exactly 1.0, so ``u < 1`` never selects a state of zero probability, even when the
    rounded cumulative sum falls slightly short of 1.
    """
    cdf = np.cumsum(table, axis=-1)  # (card(parents)..., card)
    return cdf / cdf[..., -1:]


def _observed(net: BayesNet, evidence: Mapping[str, State]) -> dict[str, int]:
    from nnblocks.bayes.inference import evidence_dict  # accepts (node, state) pairs too

    given = evidence_dict(evidence, "sampling")
    nodes = net.check_nodes(list(given), "evidence")
    return {node: net.state_index(node, given[node]) for node in nodes}


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise BayesNetError(f"number of samples must be a non-negative int, got {n!r}")
    return int(n)


def _output(net: BayesNet, samples: np.ndarray, as_dict: bool) -> Samples:
    if not as_dict:
        return samples
    out = {}
    for j, node in enumerate(net.nodes):
        names = np.asarray(net.states(node))
        out[node] = names[samples[:, j]]
    return out
