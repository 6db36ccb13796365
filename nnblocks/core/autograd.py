"""Backpropagation: replay the recorded blocks in reverse topological order.

The chain rule for a composition ``y = f_n(...f_1(x; θ1)...; θn)`` is applied block by block:
each node receives dL/d(its outputs), calls its block's ``backward`` to get dL/d(its inputs),
sums broadcast gradients back to each input's shape, and adds the result to what that input
already received (a tensor used twice gets the sum of both paths: fan-out accumulation). A
leaf's paths are summed first and added to its ``.grad`` once per call, so two backward passes
through a retained graph give exactly twice the gradient of one.

The traversal is iterative, so a chain of 100,000 blocks does not hit Python's recursion limit.

``retain_graph``: after a backward pass each node's saved arrays and its references to its
input tensors are freed (memory is returned at once, and a loss kept alive until the next step
no longer holds every activation of its graph, as in PyTorch). Backpropagating through a freed
node raises a ``RuntimeError`` naming the block; pass ``retain_graph=True`` to the first call to
backpropagate through the same graph again.

Version counters (:mod:`nnblocks.core.version`): before a node is backpropagated, the tensors
its block saved are checked against the versions they had when it was recorded; a tensor changed
in place since raises a ``RuntimeError`` naming the block. A tensor rebased by a recorded
in-place operation sends the gradient of the blocks recorded before that operation to the
producer it had then.

Post-accumulate hooks: :func:`register_post_accumulate_grad_hook` (also
``Tensor.register_post_accumulate_grad_hook``, PyTorch's name) registers ``hook(tensor)`` on a
leaf; during a backward pass it is called right after the leaf's gradient of that pass is final
and added to ``.grad``, i.e. once every block that uses the leaf has been backpropagated, while
the rest of the graph is still to come. Data-parallel training starts communicating a layer's
gradient from there, overlapping it with the remaining backward. While any hook is registered,
each leaf's ``.grad`` is updated as soon as it is final instead of all leaves at the end; the
sums are the same. A leaf that receives no gradient in a pass gets no call.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nnblocks.core.broadcast import unbroadcast
from nnblocks.core.version import check_saved, producer_at

if TYPE_CHECKING:
    from nnblocks.core.block import Node
    from nnblocks.core.tensor import Tensor


#: id(leaf) -> (weak reference to the leaf, {handle id: hook}); empty in ordinary use
_post_accumulate_hooks: dict[int, tuple[weakref.ref, dict[int, Callable]]] = {}
_hook_ids = itertools.count()


class RemovableHandle:
    """Returned by :func:`register_post_accumulate_grad_hook`; ``remove()`` unregisters."""

    def __init__(self, key: int, hook_id: int) -> None:
        self._key = key
        self._hook_id = hook_id

    def remove(self) -> None:
        entry = _post_accumulate_hooks.get(self._key)
        if entry is not None:
            entry[1].pop(self._hook_id, None)
            if not entry[1]:
                del _post_accumulate_hooks[self._key]


def register_post_accumulate_grad_hook(
    tensor: Tensor, hook: Callable[[Tensor], None]
) -> RemovableHandle:
    """Call ``hook(tensor)`` in each backward pass once ``tensor.grad`` holds that pass's
    gradient (PyTorch's ``Tensor.register_post_accumulate_grad_hook``).

    Only leaves that require grad accept hooks; hooks run in registration order. The hook
    holds no strong reference to the tensor: it is dropped when the tensor is.

    Raises:
        RuntimeError: ``tensor`` is not a leaf, or does not require grad.
    """
    if tensor._node is not None or not tensor.requires_grad:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: expected a leaf tensor that requires grad, "
            f"got a {'non-leaf' if tensor._node is not None else 'tensor without grad'} "
            f"of shape {tensor.shape}"
        )
    key = id(tensor)
    entry = _post_accumulate_hooks.get(key)
    if entry is None or entry[0]() is not tensor:      # new, or an id reused after a free
        ref = weakref.ref(tensor, lambda r, k=key, table=_post_accumulate_hooks:
                          _drop_hooks(table, k, r))
        entry = _post_accumulate_hooks[key] = (ref, {})
    hook_id = next(_hook_ids)
    entry[1][hook_id] = hook
    return RemovableHandle(key, hook_id)


def _drop_hooks(table: dict, key: int, ref: weakref.ref) -> None:
    entry = table.get(key)
    if entry is not None and entry[0] is ref:
        del table[key]


def _hooks_of(x: Tensor) -> list[Callable] | None:
    entry = _post_accumulate_hooks.get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return list(entry[1].values())


def _leaf_uses(order: list[Node]) -> dict[int, int]:
    """id(leaf) -> how many (node, input) pairs of ``order`` will send it a gradient."""
    uses: dict[int, int] = {}
    for node in order:
        for x, needed in zip(node.inputs, node.needs_input_grad):
            if x is not None and needed and x._node is None:
                uses[id(x)] = uses.get(id(x), 0) + 1
    return uses


def _topological_order(root: Node) -> list[Node]:
    """Nodes reachable from ``root``, each before every node that produced one of its inputs.

    An iterative depth-first search: a stack of (node, next input to visit) replaces recursion.
    A node is appended after all its producers (post-order); reversing gives consumers first.
    """
    order: list[Node] = []
    visited: set[Node] = {root}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        inputs = node.inputs
        needs = node.needs_input_grad
        n = len(inputs)
        while i < n:
            x = inputs[i]
            i += 1
            if x is None or not needs[i - 1]:
                continue
            child = x._node if x._vc is None else producer_at(node, i - 1, x)[0]
            if child is not None and child not in visited:
                visited.add(child)
                stack.append((node, i))                # come back for the remaining inputs
                stack.append((child, 0))
                break
        else:
            order.append(node)
    order.reverse()
    return order


def _input_gradient(node: Node, i: int, g: Any, x: Tensor) -> np.ndarray:
    """Check a block's gradient for input ``i`` and bring it to the input's shape and dtype."""
    data = x.array
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if g.shape != data.shape:
        try:
            g = unbroadcast(g, data.shape)
        except ValueError:
            raise RuntimeError(
                f"{node.block.__name__}.backward returned a gradient of shape {g.shape} for "
                f"input {i} of shape {data.shape}"
            ) from None
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def _output_gradient(tensor: Tensor, grad: Any) -> np.ndarray:
    """dL/d(tensor) to start from: ``grad`` checked against the tensor, or 1 for a scalar."""
    if grad is None:
        if tensor.array.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for a tensor with one element; "
                f"got shape {tensor.shape}: pass grad= of that shape"
            )
        return np.ones_like(tensor.array)
    grad = np.asarray(getattr(grad, "array", grad), dtype=tensor.dtype)
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"backward: grad has shape {grad.shape}, expected the tensor's shape {tensor.shape}"
        )
    return grad


def backward(
    tensor: Tensor, grad: np.ndarray | None = None, retain_graph: bool = False
) -> None:
    """Backpropagate from ``tensor``: accumulate dL/dx into ``.grad`` of every leaf x.

    Args:
        tensor: the output to differentiate (usually a scalar loss).
        grad: dL/d(tensor); may be omitted only for a tensor with one element (taken as 1).
        retain_graph: keep the saved arrays so the graph can be backpropagated again.

    Raises:
        RuntimeError: the tensor does not require grad; ``grad`` is missing for a non-scalar or
            has the wrong shape; the graph was freed by an earlier backward (names the block);
            a block returned a gradient whose shape cannot be reduced to its input's.
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: tensor does not require grad and has no graph "
            "(was it computed under no_grad(), or from inputs with requires_grad=False?)"
        )
    grad = _output_gradient(tensor, grad)
    root = tensor._node
    if root is None:                                   # a leaf: its gradient is grad itself
        tensor._add_grad(grad)
        for hook in _hooks_of(tensor) or ():
            hook(tensor)
        return
    # grads[node][k] = dL/d(k-th output of node), summed over every consumer seen so far
    grads: dict[Node, list] = {root: [None] * len(root.out_meta)}
    grads[root][tensor._out_index] = grad
    # leaf_grads[id(x)] = [x, dL/dx summed over every path]: added to x.grad once, at the end,
    # so a second backward (retain_graph) adds exactly the same array again
    leaf_grads: dict[int, list] = {}
    order = _topological_order(root)
    # with post-accumulate hooks, count each leaf's pending uses to know when it is final
    pending = _leaf_uses(order) if _post_accumulate_hooks else None
    for node in order:
        slot = grads.pop(node, None)
        if slot is None:                               # no gradient reached this node
            if pending is not None:
                _release_leaves(node, pending, leaf_grads)
            continue
        block = node.block
        if node.freed:
            raise RuntimeError(
                f"backward: trying to backpropagate through {block.__name__} a second time, "
                "but its saved arrays were freed by the first backward; "
                "call backward(retain_graph=True) the first time"
            )
        if node.versions is not None or node.out_vcs is not None:
            check_saved(node)                          # raises if a saved tensor was changed
        elif block.saved_inputs != ():
            for x in node.inputs:                      # counters made since it was recorded?
                if x is not None and x._vc is not None:
                    check_saved(node)
                    break
        if node.retained is not None:                  # outputs on which retain_grad() was called
            for t in node.retained:
                if slot[t._out_index] is not None:
                    t._add_grad(slot[t._out_index])
        if node.multi:
            gy = tuple(
                g if g is not None else np.zeros(shape, dtype)
                for g, (shape, dtype) in zip(slot, node.out_meta)
            )
        else:
            gy = slot[0]
        gxs = block.backward(node.saved, gy)
        if not isinstance(gxs, tuple) or len(gxs) < len(node.inputs):
            raise TypeError(
                f"{block.__name__}.backward must return a tuple of one gradient per input "
                f"({len(node.inputs)}), got {type(gxs).__name__}"
                + (f" of length {len(gxs)}" if isinstance(gxs, tuple) else "")
            )
        if not retain_graph:
            node.saved = None                          # free memory now
            node.freed = True
        needs = node.needs_input_grad
        for i, x in enumerate(node.inputs):
            g = gxs[i]
            if g is None or not needs[i]:
                continue
            data = x.array
            if type(g) is not np.ndarray or g.shape != data.shape or g.dtype != data.dtype:
                g = _input_gradient(node, i, g, x)     # un-broadcast, cast: the slow path
            if x._vc is None:
                producer = x._node
                k = x._out_index
            else:                                      # maybe rebased by an in-place op since
                producer, k = producer_at(node, i, x)
            if producer is None:                       # a leaf: sum its paths first
                entry = leaf_grads.get(id(x))
                if entry is None:
                    leaf_grads[id(x)] = [x, g]
                else:
                    entry[1] = entry[1] + g
                continue
            pslot = grads.get(producer)
            if pslot is None:
                pslot = grads[producer] = [None] * len(producer.out_meta)
            pslot[k] = g if pslot[k] is None else pslot[k] + g    # fan-out: paths add up
        if pending is not None:
            _release_leaves(node, pending, leaf_grads)
        if not retain_graph:
            # drop the input tensors too: the graph no longer pins the activations (a later
            # backward through it stops at this freed node with the error above)
            node.inputs = ()
    for x, g in leaf_grads.values():
        x._add_grad(g)


def _release_leaves(node: Node, pending: dict[int, int], leaf_grads: dict[int, list]) -> None:
    """Count ``node``'s uses of leaves as done; add each leaf whose gradient is now final to
    its ``.grad`` and call its post-accumulate hooks."""
    for x, needed in zip(node.inputs, node.needs_input_grad):
        if x is None or not needed or x._node is not None:
            continue
        key = id(x)
        pending[key] -= 1
        if pending[key] > 0:
            continue
        entry = leaf_grads.pop(key, None)
        if entry is None:                              # no path of this pass reached it
            continue
        x._add_grad(entry[1])
        for hook in _hooks_of(x) or ():
            hook(x)
