r"""Gibbs sampling: approximate posteriors where exact inference is too large.

Each sweep visits the non-evidence nodes in topological order and redraws :math:`X` from its
full conditional, which depends only on its Markov blanket:

.. math::
    P(x \mid \mathbf{x}_{-X}) \propto P\big(x \mid \mathrm{pa}(X)\big)
        \prod_{C \in \mathrm{ch}(X)} P\big(c \mid \mathrm{pa}(C)\big)\Big|_{X = x},

computed in log space. ``chains`` independent chains run side by side (vectorized over
chains); each starts from a likelihood-weighting draw of positive weight (so the start is
consistent with the evidence), runs ``burn_in`` sweeps, then keeps every ``thin``-th sweep
until ``n`` samples are collected (samples of different chains interleaved, ``ceil(n /
chains)`` kept sweeps per chain).

The chain converges to :math:`P(\mathbf{x} \mid \mathbf{e})` when it is irreducible; CPTs with
zeros can break that (e.g. a deterministic OR node: flipping one input alone is impossible), in
which case use likelihood weighting or exact inference. Randomness comes only from ``rng``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nnblocks._random import get_rng
from nnblocks.bayes.engine import compile_net
from nnblocks.bayes.errors import BayesNetError
from nnblocks.bayes.inference import Evidence, _observed
from nnblocks.bayes.sampling import Samples, _ancestral, _check_n, _output

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet


def gibbs_sample(
    net: BayesNet,
    n: int,
    evidence: Evidence | None = None,
    *,
    burn_in: int = 200,
    thin: int = 1,
    chains: int = 100,
    rng: np.random.Generator | None = None,
    as_dict: bool = False,
) -> Samples:
    """``n`` approximate draws from :math:`P(\\mathbf{x} \\mid \\mathbf{e})` by Gibbs sampling.

    Args:
        n: samples returned (evidence columns hold the observed states).
        evidence: ``{node: state}`` or a list of ``(node, state)`` pairs.
        burn_in: sweeps discarded at the start of each chain.
        thin: keep every ``thin``-th sweep after burn-in.
        chains: independent chains run side by side.

    Shapes:
        returns ``(n, len(net.nodes))`` int state indices, or ``{node: (n,) state names}``.

    Example:
        >>> import numpy as np
        >>> from nnblocks.bayes import sprinkler, estimate
        >>> net = sprinkler()
        >>> s = gibbs_sample(net, 20_000, {"WetGrass": "true"}, rng=np.random.default_rng(0))
        >>> p_rain = dict(zip(net.states("Rain"), estimate(net, s, "Rain")))
        >>> round(float(p_rain["true"]), 1)  # exact: 0.7079
        0.7
    """
    n = _check_n(n)
    for name, value in (("burn_in", burn_in), ("thin", thin), ("chains", chains)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (name != "burn_in"):
            raise BayesNetError(f"gibbs_sample: {name} must be an int >= "
                                f"{int(name != 'burn_in')}, got {value!r}")  # fmt: skip
    generator = get_rng(rng)
    cn = compile_net(net)
    observed = _observed(net, cn, evidence, "gibbs_sample")
    state = _start(net, observed, chains, generator)  # (chains, n_nodes)
    with np.errstate(divide="ignore"):
        logs = [np.log(t) for t in cn.tables]
    free = [v for v in (cn.index[name] for name in net.topological_order()) if v not in observed]
    kept_per_chain = math.ceil(n / chains) if n else 0
    out = np.empty((kept_per_chain, chains, len(cn.nodes)), dtype=np.intp)
    for sweep in range(burn_in + kept_per_chain * thin):
        for var in free:
            state[:, var] = _draw(cn, logs, state, var, generator)
        kept = sweep - burn_in
        if kept >= 0 and (kept + 1) % thin == 0:
            out[kept // thin] = state
    return _output(net, out.reshape(-1, len(cn.nodes))[:n], as_dict)


def _draw(cn, logs, state: np.ndarray, var: int, rng: np.random.Generator) -> np.ndarray:
    """One state per chain from the full conditional of ``var`` (chains,)."""
    chains, card = len(state), cn.cards[var]
    values = np.arange(card)[None, :]  # (1, card)
    own = tuple(state[:, p][:, None] for p in cn.parents[var])
    score = np.broadcast_to(logs[var][(*own, values)], (chains, card)).copy()  # (chains, card)
    for child in cn.children[var]:
        index = tuple(
            values if v == var else state[:, v][:, None] for v in cn.scopes[child]
        )  # the child's parents (var varying) and its own current state
        score += logs[child][index]  # (chains, card)
    score -= score.max(axis=1, keepdims=True)
    weights = np.exp(score)  # (chains, card)
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(chains) * cdf[:, -1]
    return np.minimum(np.sum(cdf <= u[:, None], axis=1), card - 1)


def _start(net: BayesNet, observed: dict[int, int], chains: int, rng) -> np.ndarray:
    """A clamped forward draw of positive likelihood weight for each chain."""
    names = {net.nodes[v]: s for v, s in observed.items()}
    for _ in range(20):
        samples, weights = _ancestral(net, 50 * chains, names, rng)
        good = np.flatnonzero(weights > 0)
        if len(good):
            return samples[rng.choice(good, size=chains)].copy()
    raise BayesNetError(
        "gibbs_sample: no start consistent with the evidence was found in "
        f"{1000 * chains:,} likelihood-weighting draws (is the evidence impossible?)"
    )
