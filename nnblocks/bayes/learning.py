r"""Learning CPTs from complete data: maximum likelihood and Dirichlet pseudo-counts.

With complete data the log-likelihood decomposes over nodes and parent configurations,

.. math::
    \log P(\mathcal{D} \mid \theta) = \sum_i \sum_{\mathbf{u}} \sum_x N_{i,\mathbf{u},x}
    \log \theta_{i,\mathbf{u},x},

where :math:`N_{i,\mathbf{u},x}` counts the rows with :math:`X_i = x` and
:math:`\mathrm{pa}(X_i) = \mathbf{u}`. Each row :math:`\theta_{i,\mathbf{u},\cdot}` is then
estimated separately:

.. math::
    \hat\theta^{\mathrm{ML}}_{\mathbf{u},x} = \frac{N_{\mathbf{u},x}}{N_{\mathbf{u}}}, \qquad
    \hat\theta^{\alpha}_{\mathbf{u},x} = \frac{N_{\mathbf{u},x} + \alpha_{\mathbf{u},x}}
        {N_{\mathbf{u}} + \sum_{x'} \alpha_{\mathbf{u},x'}},

the second being the posterior mean under a Dirichlet(:math:`\alpha`) prior on each row
(:math:`\alpha = 1` everywhere is Laplace smoothing). A parent configuration never seen in the
data with :math:`\alpha = 0` has :math:`0/0`; its row is set to the uniform distribution.

Tables always span the node's *declared* states (see :mod:`nnblocks.bayes.data`), so states
absent from the data keep their row and column (with probability 0 under ML).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from nnblocks.bayes.data import encode_data
from nnblocks.bayes.errors import BayesNetError

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet

PseudoCount = float | Mapping[str, float | npt.ArrayLike]


def count_table(net: BayesNet, data: object, node: str) -> np.ndarray:
    r"""Counts :math:`N_{\mathbf{u},x}`, shape ``(card(parents)..., card(node))`` (CPT layout)."""
    parents = net.parents(node)
    scope = [*parents, node]
    columns = encode_data(net, data, nodes=scope)
    return _counts(net, columns, scope)


def fit_cpts(
    net: BayesNet,
    data: object,
    *,
    pseudo_count: PseudoCount = 0.0,
    nodes: Sequence[str] | None = None,
) -> BayesNet:
    """Set the CPTs of ``nodes`` (default: all) from complete ``data``; returns ``net``.

    The network's structure and declared states are kept; its CPTs are replaced in place.

    Args:
        net: the network whose edges and states define the tables.
        data: complete data (dict of columns, list of row dicts, or int array; see
            :func:`nnblocks.bayes.data.encode_data`).
        pseudo_count: Dirichlet :math:`\\alpha` added to every count: ``0`` for maximum
            likelihood, ``1`` for Laplace; or ``{node: alpha}`` where alpha is a float or an
            array broadcastable to that node's CPT shape (nodes not listed get 0).
        nodes: which CPTs to fit.
    """
    targets = net.nodes if nodes is None else net.check_nodes(nodes, "node to fit")
    needed = {v for n in targets for v in (*net.parents(n), n)}
    columns = encode_data(net, data, nodes=[n for n in net.nodes if n in needed])
    for node in targets:
        scope = [*net.parents(node), node]
        counts = _counts(net, columns, scope) + _alpha(pseudo_count, node, net)
        totals = counts.sum(axis=-1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / counts.shape[-1])
        safe = np.where(totals > 0, totals, 1.0)
        values = np.where(totals > 0, counts / safe, uniform)
        net.remove_cpt(node)
        net.set_cpt(node, values)
    return net


def _counts(net: BayesNet, columns: Mapping[str, np.ndarray], scope: list[str]) -> np.ndarray:
    shape = tuple(net.cardinality(v) for v in scope)
    flat = np.ravel_multi_index(tuple(columns[v] for v in scope), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape).astype(np.float64)


def _alpha(pseudo_count: PseudoCount, node: str, net: BayesNet) -> np.ndarray:
    if isinstance(pseudo_count, Mapping):
        net.check_nodes(list(pseudo_count), "pseudo_count key")
        given = pseudo_count.get(node, 0.0)
    else:
        given = pseudo_count
    alpha = np.asarray(given, dtype=np.float64)
    shape = (*(net.cardinality(p) for p in net.parents(node)), net.cardinality(node))
    try:
        alpha = np.broadcast_to(alpha, shape)
    except ValueError:
        raise BayesNetError(
            f"pseudo_count for '{node}' has shape {alpha.shape}, which does not broadcast to "
            f"its CPT shape {shape}"
        ) from None
    if not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
        raise BayesNetError(f"pseudo_count for '{node}' must be finite and >= 0, got {given!r}")
    return alpha
