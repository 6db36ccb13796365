"""Version counters: how nnblocks notices that a tensor saved for backward was changed in place.

As in PyTorch, every tensor has a version (``Tensor._version``, 0 at creation) that each in-place
operation bumps. A view (the output of a block with ``is_view = True`` that shares its input's
memory, and ``detach()``) shares its base's counter, so changing either bumps both.

A recorded :class:`~nnblocks.core.block.Node` remembers the versions of the tensors its block
saved: the inputs listed in ``Block.saved_inputs`` (all of them unless the block says otherwise)
and, for a block with ``saves_output = True``, its output. Backward compares them with the
current versions and raises, naming the block, instead of computing a wrong gradient. A tensor
the block did not save may change freely (``y = x + 1; x.mul_(2)`` still backpropagates, as in
PyTorch).

>>> import nnblocks as nb
>>> x = nb.tensor([1.0, 2.0], requires_grad=True)
>>> y = x.sigmoid()
>>> _ = y.mul_(2)
>>> y.sum().backward()  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
RuntimeError: SigmoidBlock: a tensor it saved for backward (its output) was modified by an ...

Counters are made lazily: a tensor that was never changed in place and never viewed has none
(``_vc is None`` means version 0), so ordinary operations pay one attribute test.

Rebasing: an in-place operation recorded on a tensor that is part of the graph makes the tensor
the output of that operation (as PyTorch does). Blocks recorded before it must still send their
gradient to the tensor's *previous* producer, so the counter keeps, per tensor, the producers it
had before each rebase (:func:`producer_at`).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnblocks.core.block import Node
    from nnblocks.core.tensor import Tensor


class VersionCounter:
    """A version number shared by a tensor and its views.

    Attributes:
        version: how many in-place changes the memory behind this counter has seen.
        shared: True once a view shares it.
        history: ``id(tensor) -> [(last version, node, output index), ...]``: the producers a
            tensor had before each rebase, oldest first (None until a rebase happens).
        views: how each view sharing it was made, oldest first, as
            ``(view, node type, block, saved, input, out_meta, multi)`` with weak references
            to the view and its input: after a recorded in-place change of the base,
            :func:`refresh_views` makes every live view the output of its view block applied
            to the new base (as PyTorch regenerates a view's ``grad_fn``).
        opaque_view: True when a view was made that ``views`` cannot replay (a view block with
            several tensor inputs); recorded in-place changes are then refused.
    """

    __slots__ = ("version", "shared", "history", "views", "opaque_view")

    def __init__(self) -> None:
        self.version = 0
        self.shared = False
        self.history: dict[int, list] | None = None
        self.views: list[tuple] = []
        self.opaque_view = False


def counter_of(t: Tensor) -> VersionCounter:
    """The counter of ``t``, made on first use.

    When ``t`` is the output of a recorded block that saved its output (``saves_output``), the
    node starts watching the new counter, so a later in-place change of ``t`` is caught.
    """
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
        node = t._node
        if node is not None and node.block.saves_output:
            watch_output(node, vc)
    return vc


def watch_output(node: Node, vc: VersionCounter) -> None:
    """Make ``node`` check, at backward, that ``vc`` still has its current version."""
    if node.out_vcs is None:
        node.out_vcs = []
    node.out_vcs.append((vc, vc.version))


def share(base: Tensor, other: Tensor, view: bool = True, made_by: tuple | None = None) -> None:
    """Give ``other`` the version counter of ``base`` (they share memory). ``view=False`` for
    ``detach()``, whose result has no graph that an in-place change could leave stale.
    ``made_by``: ``(node_type, block, saved, out_meta, multi, n_tensor_inputs)`` of the view
    block, kept so the view can be replayed on a rebased base (:func:`refresh_views`)."""
    vc = counter_of(base)
    if view:
        vc.shared = True
        if made_by is None or made_by[5] != 1:
            vc.opaque_view = True
        else:
            node_type, block, saved, out_meta, multi, _ = made_by
            if len(vc.views) >= 32:                    # a long-lived base (a parameter viewed
                vc.views = [e for e in vc.views if e[0]() is not None]   # every step)
            vc.views.append((weakref.ref(other), node_type, block, saved, weakref.ref(base),
                             out_meta, multi))
    other._vc = vc


def view_entry(t: Tensor) -> tuple | None:
    """How ``t`` was made as a view of another tensor (its entry in the counter's ``views``),
    or None when it is not a view."""
    vc = t._vc
    if vc is None or not vc.shared:
        return None
    for entry in vc.views:
        if entry[0]() is t:
            return entry
    return None


def base_and_index(entry: tuple) -> tuple[Tensor, Any] | None:
    """``(base, index)`` with the view = ``base[index]``, for a view (:func:`view_entry`) made
    by a block that says how (``view_index(saved)``, e.g. indexing) whose base is alive, else
    None."""
    _, _, block, saved, input_ref, _, _ = entry
    how = getattr(block, "view_index", None)
    base = input_ref()
    if how is None or base is None:
        return None
    return base, how(saved)


def refresh_views(vc: VersionCounter, before: int) -> None:
    """After a recorded in-place change of a base tensor (now at a new version, with a new
    producer): make each live view the output of a new node of its view block on its input, so
    later uses of the view send their gradient through the change, while blocks recorded before
    it keep the view's old producer (history at version ``before``)."""
    alive = []
    for entry in vc.views:
        view_ref, node_type, block, saved, input_ref, out_meta, multi = entry
        view, source = view_ref(), input_ref()
        if view is None or source is None:
            continue
        alive.append(entry)
        if not source._requires_grad:
            continue
        if vc.history is None:
            vc.history = {}
        vc.history.setdefault(id(view), []).append((before, view._node, view._out_index))
        node = node_type(block, saved, (source,), (True,), out_meta, multi)
        node.versions = (vc.version,)
        view._node = node
        view._requires_grad = True
    vc.views = alive


def bump(t: Tensor) -> None:
    """Record one in-place change of ``t`` (and of every view sharing its memory)."""
    counter_of(t).version += 1


def versions_of(tensors: tuple) -> tuple[int, ...]:
    """The current version of each input (0 for constants and tensors without a counter)."""
    return tuple(
        0 if t is None or t._vc is None else t._vc.version for t in tensors
    )


def producer_at(node: Node, i: int, x: Tensor) -> tuple[Any, int]:
    """``(node, output index)`` that produced input ``i`` of ``node`` when ``node`` was recorded.

    Usually ``(x._node, x._out_index)``; after ``x`` was rebased by a recorded in-place
    operation, the producer it had at the version ``node`` saw.
    """
    vc = x._vc
    if vc is None or vc.history is None:
        return x._node, x._out_index
    entries = vc.history.get(id(x))
    if entries:
        seen = node.versions[i] if node.versions is not None else 0
        for last, producer, index in entries:
            if seen <= last:
                return producer, index
    return x._node, x._out_index


def check_saved(node: Node) -> None:
    """Raise if a tensor that ``node``'s block saved for backward was changed in place since."""
    block = node.block
    inputs = node.inputs
    recorded = node.versions
    wanted = block.saved_inputs
    indices = range(len(inputs)) if wanted is None else wanted
    uses = block.saved_input_uses
    needs = node.needs_input_grad
    for i in indices:
        if i >= len(inputs):
            continue
        x = inputs[i]
        if x is None or x._vc is None:
            continue
        if uses is not None and i in uses and not any(needs[k] for k in uses[i]):
            continue                                   # saved only for gradients not asked for
        expected = recorded[i] if recorded is not None else 0
        if x._vc.version != expected:
            raise _modified(block.__name__, f"input {i}", x, x._vc.version, expected)
    if node.out_vcs is not None:
        for vc, expected in node.out_vcs:
            if vc.version != expected:
                raise _modified(block.__name__, "its output", None, vc.version, expected)


def _modified(name: str, what: str, x: Tensor | None, version: int, expected: int) -> RuntimeError:
    shape = f" of shape {tuple(x.shape)}" if x is not None else ""
    return RuntimeError(
        f"{name}: a tensor it saved for backward ({what}{shape}) was modified by an in-place "
        f"operation (version {version}, expected {expected}), so its gradient would be wrong; "
        "use an out-of-place op instead (e.g. x = x * 2 rather than x.mul_(2) or x *= 2), or "
        "clone() the tensor before changing it"
    )
