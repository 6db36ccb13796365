r"""d-separation and active trails (the Bayes-ball rules).

A trail :math:`X_1 - X_2 - \dots - X_k` (a path ignoring edge directions) is *active* given the
observed set :math:`\mathbf{Z}` when every interior node :math:`X_j` passes the ball:

* chain :math:`X_{j-1} \to X_j \to X_{j+1}` (either direction) or fork
  :math:`X_{j-1} \leftarrow X_j \to X_{j+1}`: active iff :math:`X_j \notin \mathbf{Z}`;
* collider (v-structure) :math:`X_{j-1} \to X_j \leftarrow X_{j+1}`: active iff :math:`X_j` or
  one of its descendants is in :math:`\mathbf{Z}`;

and no end point is observed. :math:`\mathbf{X}` and :math:`\mathbf{Y}` are *d-separated* by
:math:`\mathbf{Z}` when no active trail joins them; then
:math:`\mathbf{X} \perp \mathbf{Y} \mid \mathbf{Z}` in every distribution that factorizes over the
graph (Pearl 1988; Koller & Friedman 2009, Thm. 3.3).

:func:`reachable` is the linear-time Bayes-ball search (Koller & Friedman, Algorithm 3.1): it
walks (node, direction) pairs, "up" meaning the ball arrived from a child and "down" from a
parent, and uses the ancestors of :math:`\mathbf{Z}` to decide colliders.
:func:`active_trails` enumerates the trails themselves (exponential; for teaching and tests).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from nnblocks.bayes.errors import BayesNetError

if TYPE_CHECKING:
    from nnblocks.bayes.network import BayesNet

_UP = "up"  # the ball arrived from a child (travelling against an edge)
_DOWN = "down"  # the ball arrived from a parent (travelling along an edge)


def reachable(net: BayesNet, source: str, observed: str | Iterable[str] = ()) -> set[str]:
    """Nodes joined to ``source`` by an active trail given ``observed`` (including ``source``
    itself, unless it is observed).

    Bayes ball, one visit per (node, direction):

    * arriving *up* at an unobserved node: continue to its parents (up) and children (down);
    * arriving *down* at an unobserved node: continue to its children (down) only;
    * arriving *down* at a node that is observed or has an observed descendant (a collider that
      opens): continue to its parents (up);
    * an observed node blocks everything else.
    """
    net.check_nodes(source, "source")
    given = set(net.check_nodes(observed, "observed node"))
    opens_collider = given | net.ancestors(given)  # nodes with an observed descendant-or-self
    visited: set[tuple[str, str]] = set()
    found: set[str] = set()
    stack = [(source, _UP)]
    while stack:
        node, direction = stack.pop()
        if (node, direction) in visited:
            continue
        visited.add((node, direction))
        if node not in given:
            found.add(node)
        if direction == _UP and node not in given:
            stack.extend((p, _UP) for p in net.parents(node))
            stack.extend((c, _DOWN) for c in net.children(node))
        elif direction == _DOWN:
            if node not in given:
                stack.extend((c, _DOWN) for c in net.children(node))
            if node in opens_collider:
                stack.extend((p, _UP) for p in net.parents(node))
    return found


def is_d_separated(
    net: BayesNet,
    x: str | Iterable[str],
    y: str | Iterable[str],
    z: str | Iterable[str] = (),
) -> bool:
    r"""Whether every trail between ``x`` and ``y`` is blocked by ``z``:
    :math:`\mathrm{dsep}(\mathbf{X}; \mathbf{Y} \mid \mathbf{Z})`.

    ``x``, ``y``, ``z`` are node names or collections of them; ``x`` and ``y`` must be non-empty
    and the three sets pairwise disjoint.
    """
    xs = set(net.check_nodes(x, "d-separation node"))
    ys = set(net.check_nodes(y, "d-separation node"))
    zs = set(net.check_nodes(z, "observed node"))
    if not xs or not ys:
        raise BayesNetError("is_d_separated: X and Y must be non-empty")
    for name_a, a, name_b, b in (("X", xs, "Y", ys), ("X", xs, "Z", zs), ("Y", ys, "Z", zs)):
        if a & b:
            raise BayesNetError(
                f"is_d_separated: {name_a} and {name_b} share nodes {sorted(a & b)}; the sets "
                f"must be disjoint"
            )
    return all(not (reachable(net, source, zs) & ys) for source in xs)


def is_active_trail(net: BayesNet, trail: list[str], observed: str | Iterable[str] = ()) -> bool:
    """Whether ``trail`` (consecutive nodes adjacent in the graph) is active given ``observed``."""
    given = set(net.check_nodes(observed, "observed node"))
    net.check_nodes(trail, "trail node")
    for a, b in itertools.pairwise(trail):
        if b not in net.children(a) and a not in net.children(b):
            raise BayesNetError(f"{a} and {b} are not adjacent, so {trail} is not a trail")
    if not trail or trail[0] in given or trail[-1] in given:
        return False
    opens_collider = given | net.ancestors(given)
    return all(
        _passes(net, a, b, c, given, opens_collider)
        for a, b, c in zip(trail, trail[1:], trail[2:], strict=False)
    )


def active_trails(
    net: BayesNet, x: str, y: str, observed: str | Iterable[str] = ()
) -> list[list[str]]:
    """All simple active trails from ``x`` to ``y`` given ``observed`` (depth-first; each trail
    is extended only while it stays active, but the count can still grow exponentially)."""
    net.check_nodes([x, y], "trail end")
    given = set(net.check_nodes(observed, "observed node"))
    if x == y:
        raise BayesNetError(f"active_trails: the two ends must differ, got '{x}' twice")
    if x in given or y in given:
        return []
    opens_collider = given | net.ancestors(given)
    trails: list[list[str]] = []
    path = [x]

    def extend() -> None:
        last = path[-1]
        if last == y:
            trails.append(list(path))
            return
        for nxt in (*net.parents(last), *net.children(last)):
            if nxt in path:
                continue
            if len(path) >= 2 and not _passes(net, path[-2], last, nxt, given, opens_collider):
                continue
            path.append(nxt)
            extend()
            path.pop()

    extend()
    return trails


def _passes(
    net: BayesNet, a: str, b: str, c: str, given: set[str], opens_collider: set[str]
) -> bool:
    """Whether the ball passes through ``b`` on ``a - b - c``."""
    collider = b in net.children(a) and b in net.children(c)
    if collider:
        return b in opens_collider
    return b not in given
