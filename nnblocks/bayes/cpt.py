r"""Conditional probability tables :math:`P(X \mid \mathrm{pa}(X))`.

A CPT of a node :math:`X` with parents :math:`U_1, \dots, U_k` holds one distribution over the
states of :math:`X` for every parent configuration :math:`(u_1, \dots, u_k)`:

.. math::
    \theta_{u_1 \dots u_k, x} = P(X = x \mid U_1 = u_1, \dots, U_k = u_k), \qquad
    \theta \ge 0, \qquad \sum_x \theta_{u_1 \dots u_k, x} = 1.

Layout: ``values`` has shape ``(card(U_1), ..., card(U_k), card(X))`` -- parents first, in the
node's parent order, the child last -- so ``values[u_1, ..., u_k]`` is a row that sums to 1.

Tables are accepted in two forms and validated when added (see :func:`make_cpt`):

* an array of exactly that shape, or
* nested dicts keyed by parent assignment: keys are tuples of parent state names
  (``{("on", "off"): {...}}``), or one parent state per level (``{"on": {"off": {...}}}``), or a
  mix; each leaf is ``{child_state: probability}`` or a list in declared state order. A root node
  takes its distribution directly (``{"true": 0.2, "false": 0.8}`` or ``[0.2, 0.8]``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nnblocks.bayes.errors import CPTError, UnknownStateError
from nnblocks.bayes.factor import Factor, resolve_state

ROW_SUM_TOLERANCE = 1e-9  # |sum_x theta_{u,x} - 1| allowed for every parent configuration u


@dataclass(frozen=True, eq=False)
class CPT:
    r"""The validated table :math:`P(X \mid U_1, \dots, U_k)` of one node.

    Attributes:
        variable: the child node :math:`X`.
        states: state names of :math:`X`.
        parents: parent nodes :math:`U_1, \dots, U_k`, in the network's parent order.
        parent_states: state names of each parent.
        values: read-only array, shape ``(card(U_1), ..., card(U_k), card(X))``.
    """

    variable: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    parent_states: tuple[tuple[str, ...], ...]
    values: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """``(card(U_1), ..., card(U_k), card(X))``."""
        return tuple(self.values.shape)

    def to_factor(self) -> Factor:
        r"""The CPT as a factor :math:`\phi(U_1, \dots, U_k, X)`."""
        names = dict(zip(self.parents, self.parent_states, strict=True))
        names[self.variable] = self.states
        return Factor((*self.parents, self.variable), self.values, names)

    def distribution(self, parent_assignment: Mapping[str, str | int] | None = None) -> dict:
        """The row :math:`P(X \\mid \\mathrm{pa}=u)` as ``{state: probability}``."""
        given = parent_assignment or {}
        missing = [p for p in self.parents if p not in given]
        if missing:
            raise CPTError(f"P({self.variable} | ...): no value given for parents {missing}")
        index = tuple(
            resolve_state(p, names, given[p])
            for p, names in zip(self.parents, self.parent_states, strict=True)
        )
        row = self.values[index]
        return {s: float(p) for s, p in zip(self.states, row, strict=True)}

    def to_dict(self) -> dict:
        """Nested-dict form: ``{parent states tuple: {state: p}}``, or ``{state: p}`` for a root."""
        if not self.parents:
            return self.distribution()
        out: dict = {}
        for index in np.ndindex(*self.values.shape[:-1]):
            key = tuple(names[i] for names, i in zip(self.parent_states, index, strict=True))
            row = self.values[index]
            out[key] = {s: float(p) for s, p in zip(self.states, row, strict=True)}
        return out

    def __str__(self) -> str:
        return format_cpt(self)

    @property
    def title(self) -> str:
        """``"P(X | U1, U2)"``."""
        return _title(self.variable, self.parents)

    def __repr__(self) -> str:
        return f"CPT({self.title}, shape={self.shape})"


def make_cpt(
    variable: str,
    states: Sequence[str],
    parents: Sequence[str],
    parent_states: Sequence[Sequence[str]],
    table: object,
) -> CPT:
    """Build and validate the CPT of ``variable`` from an array or nested dicts.

    Checks, each with an error that names the node and shows the expected layout: the array has
    shape ``(card(parents)..., card(child))``; every parent configuration is present exactly
    once; every state name is declared; entries are finite and non-negative; every row sums to 1
    within :data:`ROW_SUM_TOLERANCE`.
    """
    layout = _Layout(
        variable,
        tuple(states),
        tuple(parents),
        tuple(tuple(s) for s in parent_states),
    )
    if isinstance(table, Mapping):
        values = _from_mapping(table, layout)
    else:
        values = _from_array(table, layout)
    _check_values(values, layout)
    values = values.copy()
    values.flags.writeable = False
    return CPT(layout.variable, layout.states, layout.parents, layout.parent_states, values)


@dataclass(frozen=True)
class _Layout:
    """What a CPT of ``variable`` must look like; renders itself into error messages."""

    variable: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    parent_states: tuple[tuple[str, ...], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return (*(len(s) for s in self.parent_states), len(self.states))

    def title(self) -> str:
        return _title(self.variable, self.parents)

    def config(self, index: tuple[int, ...]) -> str:
        named = zip(self.parents, self.parent_states, index, strict=False)  # may be a prefix
        pairs = (f"{p}={s[i]!r}" for p, s, i in named)
        return "(" + ", ".join(pairs) + ")"

    def describe(self) -> str:
        """The expected layout, for error messages."""
        row = "{" + ", ".join(f"{s!r}: p" for s in self.states) + "}"
        axes = [
            f"card({p})={len(s)}" for p, s in zip(self.parents, self.parent_states, strict=True)
        ]
        axes.append(f"card({self.variable})={len(self.states)}")
        lines = [
            f"expected layout of {self.title()}:",
            f"  an array of shape {self.shape} = ({', '.join(axes)}), or",
        ]
        if not self.parents:
            lines.append(f"  a dict {row} (or a list in state order {list(self.states)})")
            return "\n".join(lines)
        configs = list(itertools.product(*self.parent_states))
        keys = [repr(c[0]) if len(c) == 1 else repr(c) for c in configs]
        lines.append(
            f"  a dict keyed by parent states of ({', '.join(self.parents)}), one entry per "
            f"configuration ({len(configs)} in all), each row a distribution over "
            f"{self.variable} summing to 1:"
        )
        shown = [f"    {k}: {row}," for k in keys[:4]]
        if len(keys) > 4:
            shown.append(f"    ... ({len(keys) - 4} more)")
        lines += ["  {", *shown, "  }"]
        return "\n".join(lines)


def _title(variable: str, parents: Sequence[str]) -> str:
    given = f" | {', '.join(parents)}" if parents else ""
    return f"P({variable}{given})"


def _from_array(table: object, layout: _Layout) -> np.ndarray:
    try:
        values = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CPTError(
            f"CPT of '{layout.variable}': cannot read {type(table).__name__} as a numeric "
            f"array ({exc})\n{layout.describe()}"
        ) from None
    if values.shape != layout.shape:
        raise CPTError(
            f"CPT of '{layout.variable}' has shape {values.shape}, expected {layout.shape}\n"
            f"{layout.describe()}"
        )
    return values


def _from_mapping(table: Mapping, layout: _Layout) -> np.ndarray:
    """Fill the array from nested dicts; every parent configuration exactly once."""
    values = np.zeros(layout.shape)
    seen: set[tuple[int, ...]] = set()
    depth_max = len(layout.parents)

    def visit(node: object, prefix: tuple[int, ...]) -> None:
        if len(prefix) == depth_max:
            if prefix in seen:
                raise CPTError(
                    f"CPT of '{layout.variable}': parent configuration {layout.config(prefix)} "
                    f"is given twice"
                )
            seen.add(prefix)
            values[prefix] = _row(node, prefix, layout)
            return
        if not isinstance(node, Mapping):
            nxt = layout.parents[len(prefix)]
            raise CPTError(
                f"CPT of '{layout.variable}': expected a dict keyed by states of '{nxt}' under "
                f"{layout.config(prefix)}, got {type(node).__name__}\n{layout.describe()}"
            )
        for key, child in node.items():
            keys = key if isinstance(key, tuple) else (key,)
            if len(prefix) + len(keys) > depth_max:
                raise CPTError(
                    f"CPT of '{layout.variable}': key {key!r} names more parent states than "
                    f"the {depth_max} parents {layout.parents}\n{layout.describe()}"
                )
            index = list(prefix)
            for state in keys:
                depth = len(index)
                parent = layout.parents[depth]
                index.append(_state(parent, layout.parent_states[depth], state, layout))
            visit(child, tuple(index))

    visit(table, ())
    missing = [c for c in np.ndindex(*layout.shape[:-1]) if c not in seen]
    if missing:
        listed = ", ".join(layout.config(c) for c in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CPTError(
            f"CPT of '{layout.variable}' is missing {len(missing)} parent configuration(s): "
            f"{listed}{more}\n{layout.describe()}"
        )
    return values


def _row(node: object, prefix: tuple[int, ...], layout: _Layout) -> np.ndarray:
    """One distribution over the child's states, from ``{state: p}`` or a list in state order."""
    where = f" for {layout.config(prefix)}" if layout.parents else ""
    if isinstance(node, Mapping):
        row = np.full(len(layout.states), np.nan)
        for state, p in node.items():
            row[_state(layout.variable, layout.states, state, layout)] = float(p)
        absent = [s for s, v in zip(layout.states, row, strict=True) if np.isnan(v)]
        if absent:
            raise CPTError(
                f"CPT of '{layout.variable}'{where}: no probability for states {absent}; "
                f"give all of {layout.states}"
            )
        return row
    row = np.asarray(node, dtype=np.float64)
    if row.shape != (len(layout.states),):
        raise CPTError(
            f"CPT of '{layout.variable}'{where}: expected {len(layout.states)} probabilities "
            f"for states {layout.states}, got shape {row.shape}\n{layout.describe()}"
        )
    return row


def _state(node: str, names: tuple[str, ...], state: object, layout: _Layout) -> int:
    try:
        return resolve_state(node, names, state)  # type: ignore[arg-type]
    except UnknownStateError as exc:
        raise UnknownStateError(f"CPT of '{layout.variable}': {exc}") from None


def _check_values(values: np.ndarray, layout: _Layout) -> None:
    name = layout.variable
    if not np.all(np.isfinite(values)):
        raise CPTError(f"CPT of '{name}' has non-finite entries (nan or inf)")
    if np.any(values < 0):
        index = tuple(int(i) for i in np.argwhere(values < 0)[0])
        raise CPTError(
            f"CPT of '{name}' has a negative entry {values[index]} at parent configuration "
            f"{layout.config(index[:-1])}, state {layout.states[index[-1]]!r}"
        )
    sums = values.sum(axis=-1)
    error = np.abs(sums - 1.0)
    if error.size and float(error.max()) > ROW_SUM_TOLERANCE:
        worst = np.unravel_index(int(np.argmax(error)), error.shape)
        where = f" for {layout.config(worst)}" if layout.parents else ""
        raise CPTError(
            f"CPT of '{name}': row{where} sums to {float(sums[worst])!r}, expected 1 "
            f"(tolerance {ROW_SUM_TOLERANCE})\n{layout.describe()}"
        )


def format_cpt(cpt: CPT, digits: int = 4) -> str:
    """A CPT as a text table: one row per parent configuration, one column per child state."""
    bar = ["|"] if cpt.parents else []  # separates parent columns from the child's states
    header = [*cpt.parents, *bar, *cpt.states]
    rows = []
    for index in np.ndindex(*cpt.values.shape[:-1]):
        names = [s[i] for s, i in zip(cpt.parent_states, index, strict=True)]
        probs = [f"{float(p):.{digits}g}" for p in cpt.values[index]]
        rows.append([*names, *bar, *probs])
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = [cpt.title]
    for r in [header, *rows]:
        cells = [
            c.ljust(w) if i < len(cpt.parents) else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
