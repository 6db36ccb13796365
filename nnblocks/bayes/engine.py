r"""The exact-inference engine: a compiled network, relevance pruning and scaled contraction.

Everything here works on integer variable ids (a node's position in ``net.nodes``) and bare
arrays; :mod:`nnblocks.bayes.inference` and :mod:`nnblocks.bayes.junction_tree` turn names into
ids and tables back into :class:`~nnblocks.bayes.factor.Factor` objects.

Numerics (no underflow). A product of many probabilities leaves float64's range quickly: a class
node with 200 rare observed features has :math:`P(\mathbf{e}) \approx 10^{-340}`. Every table
the engine builds is therefore stored *scaled*: after each contraction the table is divided by
its largest entry :math:`m`, and :math:`\log m` is added to one running log-scale :math:`s`, so

.. math::
    \prod_j \phi_j = e^{s} \prod_j \tilde\phi_j, \qquad \max \tilde\phi_j = 1,

and :math:`\log P(\mathbf{e}) = s + \log \sum \tilde\phi` is exact far below :math:`10^{-308}`
(down to :math:`10^{-10^{300}}`). A single contraction of tables with maximum 1 can still
underflow when its operands disagree on where their mass is; when the result's largest entry
is below ``2**-900`` (or zero), that one step is recomputed in log space
(:math:`\log \sum_y \exp \sum_j \log\phi_j`, materialising the step's full table) and scaled
the same way. Hence a table is all zero only when the exact result is zero: the only zero
evidence reported is a true zero. What scaling cannot keep is an entry below
:math:`2^{-1074}` times the largest entry *of the same table*, which float64 cannot store in
any normalized result either.

Pruning. A query only needs the CPTs of the query and evidence nodes and their ancestors (the
others are barren: they sum to one). After evidence has sliced the CPTs, a factor that shares
no variable, directly or through other factors, with a query variable only multiplies the
result by a constant (it is d-separated from the query given the evidence) and is dropped;
:func:`relevant_factors` returns only the query's connected component. (Impossible evidence in
such a dropped part is therefore not detected by a posterior query, as in pgmpy;
:func:`nnblocks.bayes.inference.evidence_probability` keeps every part.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.bayes.errors import BayesNetError

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet

Table = tuple[tuple[int, ...], np.ndarray]  # (scope as variable ids, values with one axis each)

_MAX_EINSUM_OPERANDS = 30  # NumPy 1 accepts 32 operands per einsum call, NumPy 2 64
_TINY = 2.0**-900  # a scaled result below this is recomputed in log space
_EINSUM_LABELS = 52  # einsum's sublist labels must lie in [0, 52)


class ZeroProductError(BayesNetError):
    """Internal: the exact product is zero (a true zero, not an underflow)."""


@dataclass
class CompiledNet:
    """The network as integer arrays, built once per network version (see :func:`compile_net`).

    Attributes:
        nodes: names in ``net.nodes`` order; a variable's id is its position here.
        cards: number of states per id.
        parents: parent ids per node, in CPT axis order.
        scopes: ``(*parents, node)`` per node (the axis order of ``tables``).
        tables: the CPT arrays, shape ``(card(parents)..., card(node))``.
    """

    nodes: list[str]
    index: dict[str, int]
    cards: list[int]
    parents: list[tuple[int, ...]]
    children: list[list[int]]
    scopes: list[tuple[int, ...]]
    tables: list[np.ndarray]


def compile_net(net: BayesNet) -> CompiledNet:
    """The cached :class:`CompiledNet` of ``net`` (rebuilt after any change to ``net``)."""
    cached = getattr(net, "_compiled", None)
    if cached is not None:
        return cached
    net.check_model()
    nodes = net.nodes
    index = {n: i for i, n in enumerate(nodes)}
    parents = [tuple(index[p] for p in net.parents(n)) for n in nodes]
    children: list[list[int]] = [[] for _ in nodes]
    for i, ps in enumerate(parents):
        for p in ps:
            children[p].append(i)
    compiled = CompiledNet(
        nodes=nodes,
        index=index,
        cards=[net.cardinality(n) for n in nodes],
        parents=parents,
        children=children,
        scopes=[(*ps, i) for i, ps in enumerate(parents)],
        tables=[net.cpt(n).values for n in nodes],
    )
    net._compiled = compiled
    return compiled


def ancestral_set(cn: CompiledNet, start: Sequence[int]) -> list[int]:
    """``start`` and all their ancestors, in node order."""
    seen = set(start)
    stack = list(start)
    while stack:
        for p in cn.parents[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return sorted(seen)


def reduced_tables(
    cn: CompiledNet, nodes: Sequence[int], observed: Mapping[int, int]
) -> tuple[list[Table], float]:
    """The CPTs of ``nodes`` sliced by the evidence, each scaled to maximum 1.

    Returns the tables with a non-empty scope and the log of the product of the constants (the
    scalars left by fully observed CPTs and the scales divided out). Raises
    :class:`ZeroProductError` if a constant is zero.
    """
    tables: list[Table] = []
    log_scale = 0.0
    for node in nodes:
        scope, values = cn.scopes[node], cn.tables[node]
        if any(v in observed for v in scope):
            values = values[tuple(observed.get(v, slice(None)) for v in scope)]
            scope = tuple(v for v in scope if v not in observed)
            top = float(values.max()) if values.size else 0.0
            if not top > 0.0:
                raise ZeroProductError("an observed CPT entry is zero")
            if not scope:
                log_scale += math.log(top)
                continue
            if top != 1.0:
                values = values / top
                log_scale += math.log(top)
        tables.append((scope, values))
    return tables, log_scale


def connected_to(tables: list[Table], targets: Sequence[int]) -> list[Table]:
    """The tables linked to some target through shared variables (union-find over scopes)."""
    parent: dict[int, int] = {}

    def find(v: int) -> int:
        root = v
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[v] != root:
            parent[v], v = root, parent[v]
        return root

    for scope, _ in tables:
        first = find(scope[0])
        for v in scope[1:]:
            parent[find(v)] = first
    roots = {find(t) for t in targets}
    return [t for t in tables if find(t[0][0]) in roots]


def contract(tables: Sequence[Table], out: Sequence[int], cards: Sequence[int]):
    r""":math:`\sum_{\mathbf{u} \setminus \mathbf{out}} \prod_j \phi_j`, scaled to maximum 1.

    Returns ``(values, log_scale)`` with ``values.max() == 1`` (axes in the order of ``out``) and
    the exact result equal to ``exp(log_scale) * values``. Raises :class:`ZeroProductError` when the
    exact result is zero.
    """
    out = tuple(out)
    if len(tables) > _MAX_EINSUM_OPERANDS:  # fold a chunk first, keeping every variable
        head = tables[:_MAX_EINSUM_OPERANDS]
        union = tuple(dict.fromkeys(v for scope, _ in head for v in scope))
        values, log_head = contract(head, union, cards)
        values, log_rest = contract([(union, values), *tables[_MAX_EINSUM_OPERANDS:]], out, cards)
        return values, log_head + log_rest
    label: dict[int, int] = {}
    for scope, _ in tables:
        for v in scope:
            label.setdefault(v, len(label))
    broadcast = [v for v in out if v not in label]  # kept variables no table mentions
    if broadcast:
        tables = [*tables, *(((v,), np.ones(cards[v])) for v in broadcast)]
        label.update((v, len(label) + i) for i, v in enumerate(broadcast))
    if len(label) <= _EINSUM_LABELS:
        operands: list = []
        for scope, values in tables:
            operands += [values, [label[v] for v in scope]]
        values = np.einsum(*operands, [label[v] for v in out])
        top = float(values.max()) if values.size else 0.0
        if top > _TINY:
            return (values / top if top != 1.0 else values), math.log(top)
    return _log_contract(tables, out, cards)


def _log_contract(tables, out, cards):
    """The same contraction in log space (materialises the union table): exact but slower."""
    union = list(dict.fromkeys([*out, *(v for scope, _ in tables for v in scope)]))
    position = {v: i for i, v in enumerate(union)}
    total = np.zeros([cards[v] for v in union])
    with np.errstate(divide="ignore"):
        for scope, values in tables:
            shape = [1] * len(union)
            for v in scope:
                shape[position[v]] = cards[v]
            order = np.argsort([position[v] for v in scope])
            total = total + np.log(np.transpose(values, order)).reshape(shape)
    summed = tuple(range(len(out), len(union)))
    top = float(total.max()) if total.size else -np.inf
    if top == -np.inf:
        raise ZeroProductError("the product is zero")
    values = np.exp(total - top).sum(axis=summed) if summed else np.exp(total - top)
    inner = float(values.max())
    return values / inner, top + math.log(inner)


def eliminate(
    tables: list[Table],
    order: Sequence[int],
    cards: Sequence[int],
    max_vars: frozenset[int] = frozenset(),
    traceback: list | None = None,
) -> tuple[list[Table], float]:
    """Sum out (or, for ``max_vars``, max out) the variables of ``order`` one at a time.

    Each step multiplies only the tables mentioning the variable (kept in per-variable
    buckets). For a maximised variable, ``traceback`` receives ``(var, scope, product)`` with
    the product over ``(var, *scope)`` before maximising. Returns the remaining tables and the
    log of the scales divided out.
    """
    alive = list(tables)
    buckets: dict[int, list[int]] = {}
    for i, (scope, _) in enumerate(alive):
        for v in scope:
            buckets.setdefault(v, []).append(i)
    log_scale = 0.0
    for var in order:
        ids = [i for i in buckets.pop(var, ()) if alive[i] is not None]
        if not ids:
            continue
        involved = [alive[i] for i in ids]
        for i in ids:
            alive[i] = None
        out = tuple(dict.fromkeys(v for scope, _ in involved for v in scope if v != var))
        if var in max_vars:
            product, log_step = contract(involved, (var, *out), cards)
            if traceback is not None:
                traceback.append((var, out, product))
            values = product.max(axis=0)
        else:
            values, log_step = contract(involved, out, cards)
        log_scale += log_step
        alive.append((out, values))
        for v in out:
            buckets[v].append(len(alive) - 1)
    return [t for t in alive if t is not None], log_scale
