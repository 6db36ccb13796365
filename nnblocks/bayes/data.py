"""Complete discrete datasets: conversion to integer state indices per node.

Three input forms are accepted wherever a dataset is expected:

* a dict of columns ``{node: sequence}`` whose entries are state names or integer indices;
* a list of row dicts ``[{node: state, ...}, ...]``;
* an integer array of shape ``(N, n_nodes)`` with columns in ``net.nodes`` order (what the
  samplers return).

Every value is checked against the node's *declared* states, so a state that never occurs in the
data still has its row/column in learned tables, and an undeclared value is an error that names
the node, the value and the declared states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.bayes.errors import BayesNetError, UnknownStateError

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet


def encode_data(
    net: BayesNet, data: object, nodes: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Columns of state indices, ``{node: int array of shape (N,)}``, for ``nodes`` (all nodes
    when ``None``); other columns of a dict or row input must still be nodes of ``net``."""
    wanted = net.nodes if nodes is None else net.check_nodes(nodes)
    if isinstance(data, np.ndarray):
        return _from_array(net, data, wanted)
    if isinstance(data, Mapping):
        columns = dict(data)
    elif isinstance(data, Sequence) and not isinstance(data, str):
        columns = _rows_to_columns(data)
    else:
        raise BayesNetError(
            f"data must be a dict of columns, a list of row dicts or an int array of shape "
            f"(N, {len(net)}), got {type(data).__name__}"
        )
    net.check_nodes(list(columns), "data column")
    missing = [n for n in wanted if n not in columns]
    if missing:
        raise BayesNetError(f"data has no column for nodes {missing}")
    encoded = {n: encode_column(net, n, columns[n]) for n in wanted}
    lengths = {n: len(c) for n, c in encoded.items()}
    if len(set(lengths.values())) > 1:
        raise BayesNetError(f"data columns have different lengths: {lengths}")
    return encoded


def _from_array(net: BayesNet, data: np.ndarray, wanted: list[str]) -> dict[str, np.ndarray]:
    if data.ndim != 2 or data.shape[1] != len(net):
        raise BayesNetError(
            f"an array dataset must have shape (N, {len(net)}) with columns {net.nodes}, "
            f"got shape {data.shape}"
        )
    if not np.issubdtype(data.dtype, np.integer):
        raise BayesNetError(f"an array dataset must hold integer state indices, got {data.dtype}")
    nodes = net.nodes
    return {n: encode_column(net, n, data[:, nodes.index(n)]) for n in wanted}


def _rows_to_columns(rows: Sequence) -> dict[str, list]:
    if not rows:
        raise BayesNetError("data is an empty list of rows")
    keys = list(rows[0].keys()) if isinstance(rows[0], Mapping) else None
    columns: dict[str, list] = {k: [] for k in keys or []}
    for m, row in enumerate(rows):
        if not isinstance(row, Mapping) or set(row) != set(columns):
            raise BayesNetError(
                f"row {m} of the data must be a dict with keys {sorted(columns)}, got {row!r}"
            )
        for k in columns:
            columns[k].append(row[k])
    return columns


def encode_column(net: BayesNet, node: str, column: object) -> np.ndarray:
    """State indices of one column; names and indices are both accepted, unknowns rejected."""
    states = net.states(node)
    values = np.asarray(column)
    if values.ndim != 1:
        raise BayesNetError(f"data column '{node}' must be 1-D, got shape {values.shape}")
    if np.issubdtype(values.dtype, np.integer):
        bad = (values < 0) | (values >= len(states))
        if np.any(bad):
            raise UnknownStateError(
                f"data column '{node}' holds index {int(values[bad][0])}, but '{node}' has "
                f"{len(states)} states {states}"
            )
        return values.astype(np.intp)
    unique, inverse = np.unique(values.astype(object).astype(str), return_inverse=True)
    lookup = {s: i for i, s in enumerate(states)}
    index = np.empty(len(unique), dtype=np.intp)
    for j, value in enumerate(unique):
        if value not in lookup:
            raise UnknownStateError(
                f"data column '{node}' holds {str(value)!r}, which is not a declared state of "
                f"'{node}' {states}"
            )
        index[j] = lookup[value]
    return index[inverse.reshape(-1)]
