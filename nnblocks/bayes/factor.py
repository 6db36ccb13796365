r"""Discrete factors: non-negative tables over named variables.

A factor :math:`\phi(X_1, \dots, X_k)` maps every joint assignment of its variables to a
non-negative number. It is stored as an array of shape ``(card(X_1), ..., card(X_k))``, axis ``i``
belonging to ``variables[i]``. The operations that exact inference needs are

.. math::
    (\phi_1 \cdot \phi_2)(\mathbf{x}_1 \cup \mathbf{x}_2)
        = \phi_1(\mathbf{x}_1)\,\phi_2(\mathbf{x}_2)
    \qquad \text{(product, aligned on shared variables)}

.. math::
    \Big(\sum_{Y} \phi\Big)(\mathbf{x}) = \sum_{y} \phi(\mathbf{x}, y), \qquad
    \Big(\max_{Y} \phi\Big)(\mathbf{x}) = \max_{y} \phi(\mathbf{x}, y)

.. math::
    \phi[Y = y](\mathbf{x}) = \phi(\mathbf{x}, y) \qquad \text{(reduction by evidence)}, \qquad
    \tilde\phi = \phi / \textstyle\sum \phi \qquad \text{(normalization)}

Products and sums are written as one :func:`numpy.einsum` call, whose subscripts name each
variable once, so shared variables are aligned and summed-out ones contracted without ever
materialising more than the product's own table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from nnblocks.bayes.errors import BayesNetError, UnknownNodeError, UnknownStateError

# numpy.einsum accepts at most this many operands in one call (NPY_MAXARGS is 64 in NumPy 2 and
# 32 in NumPy 1); we stay below the smaller limit and fold larger products in chunks.
_MAX_EINSUM_OPERANDS = 30


class Factor:
    r"""A non-negative table :math:`\phi(X_1, \dots, X_k)` over named discrete variables.

    Args:
        variables: names of the variables, one per axis of ``values``; all distinct.
        values: array-like of shape ``(card(X_1), ..., card(X_k))``; a 0-d array for the
            constant factor with no variables.
        states: optional state names per variable (defaults to ``"0", "1", ...``); only used for
            printing, :meth:`reduce` by name, :meth:`value` and :meth:`to_dict`.

    Example:
        >>> f = Factor(["A"], [1.0, 3.0], {"A": ["yes", "no"]})
        >>> f.normalize().to_dict()
        {'yes': 0.25, 'no': 0.75}
    """

    __slots__ = ("states", "values", "variables")

    def __init__(
        self,
        variables: Sequence[str],
        values: npt.ArrayLike,
        states: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        variables = tuple(variables)
        array = np.asarray(values, dtype=np.float64)
        if len(set(variables)) != len(variables):
            raise BayesNetError(f"Factor: variables must be distinct, got {variables}")
        if array.ndim != len(variables):
            raise BayesNetError(
                f"Factor over {variables}: values must have {len(variables)} axes "
                f"(one per variable), got shape {array.shape}"
            )
        names: dict[str, tuple[str, ...]] = {}
        for axis, var in enumerate(variables):
            card = array.shape[axis]
            given = None if states is None else states.get(var)
            names[var] = tuple(str(i) for i in range(card)) if given is None else tuple(given)
            if len(names[var]) != card:
                raise BayesNetError(
                    f"Factor: variable '{var}' has {card} entries on axis {axis} "
                    f"but {len(names[var])} state names {names[var]}"
                )
        self.variables: tuple[str, ...] = variables
        self.values: np.ndarray = array
        self.states: dict[str, tuple[str, ...]] = names

    # ----------------------------------------------------------------------------- basic facts
    @property
    def cardinality(self) -> dict[str, int]:
        """Number of states of each variable, in axis order."""
        return {var: self.values.shape[axis] for axis, var in enumerate(self.variables)}

    @property
    def size(self) -> int:
        """Number of entries of the table (product of the cardinalities)."""
        return int(self.values.size)

    def __repr__(self) -> str:
        return f"Factor(variables={self.variables}, shape={self.values.shape})"

    def __str__(self) -> str:
        return format_table(self)

    def __mul__(self, other: Factor) -> Factor:
        return self.product(other)

    # ------------------------------------------------------------------------------ operations
    def product(self, other: Factor) -> Factor:
        r"""Factor product :math:`\phi_1 \cdot \phi_2` over the union of both scopes."""
        return multiply([self, other])

    def marginalize(self, variables: Iterable[str]) -> Factor:
        r"""Sum out ``variables``: :math:`\sum_{Y} \phi(\mathbf{x}, Y)`."""
        drop = self._axes(variables, "marginalize")
        keep = tuple(v for v in self.variables if v not in drop)
        return multiply([self], keep=keep)

    def maximize(self, variables: Iterable[str]) -> Factor:
        r"""Max out ``variables``: :math:`\max_{Y} \phi(\mathbf{x}, Y)` (used by MAP)."""
        drop = self._axes(variables, "maximize")
        axes = tuple(self.variables.index(v) for v in drop)
        keep = tuple(v for v in self.variables if v not in drop)
        return Factor(keep, self.values.max(axis=axes), self.states)

    def reduce(self, evidence: Mapping[str, str | int]) -> Factor:
        r"""Fix observed variables: :math:`\phi[Y=y]`; evidence on other variables is ignored.

        Evidence values are state names or integer state indices. The reduced variables
        disappear from the scope.
        """
        index: list[int | slice] = [slice(None)] * len(self.variables)
        for var, state in evidence.items():
            if var in self.states:
                index[self.variables.index(var)] = self.state_index(var, state)
        keep = tuple(v for v, i in zip(self.variables, index, strict=True) if isinstance(i, slice))
        return Factor(keep, self.values[tuple(index)], self.states)

    def normalize(self) -> Factor:
        r"""Divide by the total mass: :math:`\phi / \sum_{\mathbf{x}} \phi(\mathbf{x})`."""
        total = float(self.values.sum())
        if not total > 0.0:
            raise BayesNetError(
                f"Factor over {self.variables}: cannot normalize, total mass is {total}"
            )
        return Factor(self.variables, self.values / total, self.states)

    def permute(self, variables: Sequence[str]) -> Factor:
        """The same factor with its axes in the order of ``variables`` (a permutation)."""
        if sorted(variables) != sorted(self.variables):
            raise BayesNetError(
                f"Factor.permute: {tuple(variables)} is not a permutation of {self.variables}"
            )
        axes = [self.variables.index(v) for v in variables]
        return Factor(variables, np.transpose(self.values, axes), self.states)

    # --------------------------------------------------------------------------------- lookups
    def state_index(self, variable: str, state: str | int) -> int:
        """Index of ``state`` (a state name or an integer index) of ``variable``."""
        names = self.states.get(variable)
        if names is None:
            raise UnknownNodeError(f"variable '{variable}' is not in factor {self.variables}")
        return resolve_state(variable, names, state)

    def value(self, assignment: Mapping[str, str | int]) -> float:
        """The entry at a full assignment of the factor's variables."""
        missing = [v for v in self.variables if v not in assignment]
        if missing:
            raise BayesNetError(f"Factor.value: no value given for {missing}")
        index = tuple(self.state_index(v, assignment[v]) for v in self.variables)
        return float(self.values[index])

    def to_dict(self) -> dict:
        """Entries keyed by state name (one variable) or by tuples of state names (several)."""
        out: dict = {}
        for index in np.ndindex(*self.values.shape):
            names = tuple(self.states[v][i] for v, i in zip(self.variables, index, strict=True))
            key = names[0] if len(names) == 1 else names
            out[key] = float(self.values[index])
        return out

    def _axes(self, variables: Iterable[str], where: str) -> set[str]:
        names = {variables} if isinstance(variables, str) else set(variables)
        unknown = sorted(names - set(self.variables))
        if unknown:
            raise UnknownNodeError(
                f"Factor.{where}: {unknown} not in the factor's variables {self.variables}"
            )
        return names


def resolve_state(variable: str, names: Sequence[str], state: str | int) -> int:
    """Index of ``state`` among ``names``; integers are taken as indices, strings as names."""
    if isinstance(state, (bool, np.bool_)):
        raise UnknownStateError(
            f"'{variable}': state must be a name in {tuple(names)} or an index, got {state!r}"
        )
    if isinstance(state, (int, np.integer)):
        if 0 <= int(state) < len(names):
            return int(state)
        raise UnknownStateError(
            f"'{variable}' has {len(names)} states {tuple(names)}; index {int(state)} is out "
            f"of range"
        )
    try:
        return list(names).index(state)
    except ValueError:
        raise UnknownStateError(
            f"'{variable}' has no state {state!r}; its states are {tuple(names)}"
        ) from None


def multiply(factors: Sequence[Factor], keep: Sequence[str] | None = None) -> Factor:
    r"""Product of ``factors``, then sum out every variable not in ``keep``, in one einsum.

    .. math::
        \psi(\mathbf{k}) = \sum_{\mathbf{u} \setminus \mathbf{k}} \prod_j \phi_j(\mathbf{u}_j)

    Args:
        factors: at least one factor; shared variables must have equal cardinalities.
        keep: variables of the result, in this order; ``None`` keeps the union of all scopes
            (in order of first appearance).
    """
    if not factors:
        raise BayesNetError("multiply: need at least one factor")
    states: dict[str, tuple[str, ...]] = {}
    cards: dict[str, int] = {}
    for f in factors:
        for var, card in f.cardinality.items():
            if cards.setdefault(var, card) != card:
                raise BayesNetError(
                    f"multiply: variable '{var}' has {cards[var]} states in one factor and "
                    f"{card} in another"
                )
            states.setdefault(var, f.states[var])
    keep = tuple(cards) if keep is None else tuple(keep)
    missing = [v for v in keep if v not in cards]
    if missing:
        raise UnknownNodeError(f"multiply: kept variables {missing} are in no factor")
    if len(factors) > _MAX_EINSUM_OPERANDS:
        # Fold the first chunk into one factor (keeping every variable), then continue.
        head = multiply(factors[:_MAX_EINSUM_OPERANDS])
        return multiply([head, *factors[_MAX_EINSUM_OPERANDS:]], keep=keep)
    letter = {var: i for i, var in enumerate(cards)}  # einsum sublist labels 0, 1, ...
    operands: list = []
    for f in factors:
        operands += [f.values, [letter[v] for v in f.variables]]
    values = np.einsum(*operands, [letter[v] for v in keep])
    return Factor(keep, values, states)


def format_table(factor: Factor, digits: int = 4) -> str:
    """A factor as a plain-text table: one row per assignment, the value in the last column."""
    if not factor.variables:
        return f"phi() = {float(factor.values):.{digits}g}"
    header = [*factor.variables, "phi"]
    rows = []
    for index in np.ndindex(*factor.values.shape):
        names = [factor.states[v][i] for v, i in zip(factor.variables, index, strict=True)]
        rows.append([*names, f"{float(factor.values[index]):.{digits}g}"])
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
