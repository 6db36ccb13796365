r"""Learning CPTs from data with missing cells: expectation-maximization (EM).

With some cells missing, the log-likelihood of the observed part,

.. math::
    \ell(\theta) = \sum_m \log P_\theta(\mathbf{o}_m)
        = \sum_m \log \sum_{\mathbf{h}_m} P_\theta(\mathbf{o}_m, \mathbf{h}_m),

no longer decomposes. EM alternates

* **E-step**: expected counts :math:`\bar N_{i,\mathbf{u},x} = \sum_m P_{\theta_t}(X_i = x,
  \mathrm{pa}_i = \mathbf{u} \mid \mathbf{o}_m)`, read off a calibrated junction tree
  (:meth:`JunctionTree.family`) once per distinct row pattern (rows are grouped, so 20,000
  rows over a few nodes cost a few hundred calibrations);
* **M-step**: :math:`\theta_{t+1} = \bar N_{\mathbf{u},x} / \bar N_{\mathbf{u}}` (plus Dirichlet
  pseudo-counts, as :func:`nnblocks.bayes.learning.fit_cpts`).

Each iteration cannot decrease :math:`\ell` (Dempster, Laird & Rubin 1977, Thm. 1); with no
missing cell the first M-step is the complete-data maximum-likelihood estimate.

Data: a dict of columns ``{node: sequence}`` (state names or indices; ``None`` or ``-1`` for a
missing cell; a node without a column is hidden in every row), a NumPy structured array whose
field names are nodes, or an int array ``(N, n_nodes)`` with ``-1`` for missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nnblocks._random import get_rng
from nnblocks.bayes.data import encode_column
from nnblocks.bayes.errors import BayesNetError, ZeroProbabilityEvidenceError
from nnblocks.bayes.junction_tree import JunctionTree

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet


class EMResult(NamedTuple):
    """Result of :func:`fit_cpts_em`.

    Attributes:
        net: the network, its CPTs replaced by the estimate.
        log_likelihoods: :math:`\\ell(\\theta_t)` of the observed data before each M-step
            (non-decreasing).
        converged: whether the per-row gain fell below ``tol`` within ``max_iter``.
    """

    net: BayesNet
    log_likelihoods: list[float]
    converged: bool


def fit_cpts_em(
    net: BayesNet,
    data: object,
    *,
    max_iter: int = 100,
    tol: float = 1e-8,
    pseudo_count: float = 0.0,
    rng: np.random.Generator | None = None,
) -> EMResult:
    """Fit every CPT of ``net`` to ``data`` with missing cells by EM (in place).

    Args:
        data: see the module docstring; missing cells are ``None`` or ``-1``.
        max_iter: at most this many E/M iterations.
        tol: stop when the log-likelihood per row grows by less than this.
        pseudo_count: Dirichlet :math:`\\alpha` added to every expected count.
        rng: breaks the symmetry of the start (available-case counts + 1 + U(0, 0.1) noise).
    """
    rows = encode_with_missing(net, data)  # (N, n_nodes), -1 for missing
    patterns, counts = np.unique(rows, axis=0, return_counts=True)
    _set_cpts(net, _start_counts(net, rows, get_rng(rng)), 0.0)
    history: list[float] = []
    converged = False
    for _ in range(max_iter):
        expected, log_likelihood = _e_step(net, patterns, counts)
        history.append(log_likelihood)
        _set_cpts(net, expected, pseudo_count)
        if len(history) > 1 and history[-1] - history[-2] < tol * len(rows):
            converged = True
            break
    return EMResult(net, history, converged)


def encode_with_missing(net: BayesNet, data: object) -> np.ndarray:
    """Data as an int array ``(N, n_nodes)`` of state indices, ``-1`` where missing."""
    if isinstance(data, np.ndarray) and data.dtype.names is not None:
        columns = {name: data[name] for name in data.dtype.names}
    elif isinstance(data, np.ndarray):
        if data.ndim != 2 or data.shape[1] != len(net) or data.dtype.kind not in "iu":
            raise BayesNetError(
                f"fit_cpts_em: an array must be int of shape (N, {len(net)}), got "
                f"{data.dtype} {data.shape}"
            )
        columns = {n: data[:, j] for j, n in enumerate(net.nodes)}
    elif isinstance(data, Mapping):
        columns = dict(data)
    else:
        raise BayesNetError(
            f"fit_cpts_em: data must be a dict of columns, a structured array or an int array, "
            f"got {type(data).__name__}"
        )
    net.check_nodes(list(columns), "data column")
    lengths = {len(c) for c in columns.values()}
    if len(lengths) != 1:
        raise BayesNetError(f"fit_cpts_em: columns have different lengths {sorted(lengths)}")
    (n_rows,) = lengths
    out = np.full((n_rows, len(net)), -1, dtype=np.intp)
    for j, node in enumerate(net.nodes):
        if node not in columns:
            continue  # a hidden node
        column = np.asarray(columns[node], dtype=object)
        missing = np.array([v is None or (not isinstance(v, str) and v == -1) for v in column])
        if np.any(~missing):
            present = column[~missing]
            if all(isinstance(v, (int, np.integer)) for v in present):
                present = present.astype(np.intp)
            out[~missing, j] = encode_column(net, node, present)
    return out


def _e_step(net: BayesNet, patterns: np.ndarray, counts: np.ndarray):
    nodes = net.nodes
    expected = {n: np.zeros((*_cards(net, net.parents(n)), net.cardinality(n))) for n in nodes}
    log_likelihood = 0.0
    for row, count in zip(patterns, counts, strict=True):
        evidence = {nodes[j]: int(s) for j, s in enumerate(row) if s >= 0}
        try:
            tree = JunctionTree(net, evidence)
        except ZeroProbabilityEvidenceError:
            raise BayesNetError(
                f"fit_cpts_em: a data row has probability zero under the current CPTs "
                f"({len(evidence)} observed cells); use pseudo_count > 0"
            ) from None
        log_likelihood += count * tree.log_evidence_probability
        for node in nodes:
            scope = (*net.parents(node), node)
            index = tuple(evidence.get(v, slice(None)) for v in scope)
            _, posterior = tree.family(node)  # over the unobserved members, in scope order
            expected[node][index] += count * posterior
    return expected, log_likelihood


def _start_counts(net: BayesNet, rows: np.ndarray, rng: np.random.Generator) -> dict:
    """Available-case counts (rows whose family is fully observed) + 1 + small noise."""
    nodes = net.nodes
    start = {}
    for node in nodes:
        scope = [nodes.index(v) for v in (*net.parents(node), node)]
        shape = tuple(net.cardinality(nodes[j]) for j in scope)
        complete = rows[np.all(rows[:, scope] >= 0, axis=1)][:, scope]
        flat = np.ravel_multi_index(tuple(complete.T), shape) if len(complete) else []
        counts = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape)
        start[node] = counts + 1.0 + rng.uniform(0.0, 0.1, size=shape)
    return start


def _set_cpts(net: BayesNet, counts: dict, pseudo_count: float) -> None:
    for node, table in counts.items():
        table = table + pseudo_count
        totals = table.sum(axis=-1, keepdims=True)
        uniform = np.full_like(table, 1.0 / table.shape[-1])
        values = np.where(totals > 0, table / np.where(totals > 0, totals, 1.0), uniform)
        net.remove_cpt(node)
        net.set_cpt(node, values)


def _cards(net: BayesNet, nodes) -> tuple[int, ...]:
    return tuple(net.cardinality(v) for v in nodes)
