"""Backpropagation: replay the recorded blocks in reverse topological order.

The chain rule for a composition ``y = f_n(...f_1(x; θ1)...; θn)`` is applied block by block:
each node receives dL/d(its outputs), calls its block's ``backward`` to get dL/d(its inputs),
sums broadcast gradients back to each input's shape, and adds the result to what that input
already received (a tensor used twice gets the sum of both paths: fan-out accumulation).

The traversal is iterative, so a chain of 100,000 blocks does not hit Python's recursion limit.

``retain_graph``: after a backward pass each node's saved arrays are freed (memory is returned
at once). Backpropagating through a freed node raises a ``RuntimeError`` naming the block;
pass ``retain_graph=True`` to the first call to backpropagate through the same graph again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnblocks.core.broadcast import unbroadcast

if TYPE_CHECKING:
    from nnblocks.core.block import Node
    from nnblocks.core.tensor import Tensor


def _topological_order(root: Node) -> list[Node]:
    """Nodes reachable from ``root``, each after every node that consumes its outputs."""
    order: list[Node] = []
    visited: set[int] = {id(root)}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        inputs = node.inputs
        while i < len(inputs):
            x = inputs[i]
            i += 1
            if x is None or x._node is None or not node.needs_grad[i - 1]:
                continue
            child = x._node
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((node, i))
                stack.append((child, 0))
                break
        else:
            order.append(node)
    order.reverse()
    return order


def _accumulate(grads: dict[int, list], node: Node, index: int, g: np.ndarray) -> None:
    slot = grads.get(id(node))
    if slot is None:
        slot = grads[id(node)] = [None] * len(node.out_meta)
    slot[index] = g if slot[index] is None else slot[index] + g


def _input_gradient(node: Node, i: int, g: np.ndarray, x: Tensor) -> np.ndarray:
    """Check a block's gradient for input ``i`` and bring it to the input's shape and dtype."""
    g = np.asarray(g)
    if g.shape != x.shape:
        try:
            g = unbroadcast(g, x.shape)
        except ValueError:
            raise RuntimeError(
                f"{node.block.__name__}.backward returned a gradient of shape {g.shape} for "
                f"input {i} of shape {x.shape}"
            ) from None
    if g.dtype != x.dtype:
        g = g.astype(x.dtype, copy=False)
    return g


def backward(
    tensor: Tensor, grad: np.ndarray | None = None, retain_graph: bool = False
) -> None:
    """Backpropagate from ``tensor``: accumulate dL/dx into ``.grad`` of every leaf x.

    Args:
        tensor: the output to differentiate (usually a scalar loss).
        grad: dL/d(tensor); may be omitted only for a tensor with one element (taken as 1).
        retain_graph: keep the saved arrays so the graph can be backpropagated again.
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: tensor does not require grad and has no graph "
            "(was it computed under no_grad(), or from inputs with requires_grad=False?)"
        )
    if grad is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for a tensor with one element; "
                f"got shape {tensor.shape}: pass grad= of that shape"
            )
        grad = np.ones_like(tensor.data)
    else:
        grad = np.asarray(getattr(grad, "data", grad), dtype=tensor.dtype)
        if grad.shape != tensor.shape:
            raise RuntimeError(
                f"backward: grad has shape {grad.shape}, expected the tensor's shape {tensor.shape}"
            )
    root = tensor._node
    if root is None:                                   # a leaf: its gradient is grad itself
        tensor._add_grad(grad)
        return
    grads: dict[int, list] = {}
    _accumulate(grads, root, tensor._out_index, grad)
    for node in _topological_order(root):
        slot = grads.pop(id(node), None)
        if slot is None:
            continue
        if node.freed:
            raise RuntimeError(
                f"backward: trying to backpropagate through {node.block.__name__} a second time, "
                "but its saved arrays were freed by the first backward; "
                "call backward(retain_graph=True) the first time"
            )
        for t in node.retained or ():               # outputs on which retain_grad() was called
            if slot[t._out_index] is not None:
                t._add_grad(slot[t._out_index])
        if node.multi:
            gy = tuple(
                g if g is not None else np.zeros(shape, dtype)
                for g, (shape, dtype) in zip(slot, node.out_meta)
            )
        else:
            gy = slot[0]
        gxs = node.block.backward(node.saved, gy)
        if not isinstance(gxs, tuple):
            raise TypeError(f"{node.block.__name__}.backward must return a tuple of gradients")
        if len(gxs) < len(node.inputs):
            raise TypeError(
                f"{node.block.__name__}.backward returned {len(gxs)} gradients "
                f"for {len(node.inputs)} inputs"
            )
        if not retain_graph:
            node.saved = None
            node.freed = True
        for i, (x, need, g) in enumerate(zip(node.inputs, node.needs_grad, gxs)):
            if not need or g is None:
                continue
            g = _input_gradient(node, i, g, x)
            if x._node is None:
                x._add_grad(g)
            else:
                _accumulate(grads, x._node, x._out_index, g)
