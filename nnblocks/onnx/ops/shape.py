"""Shape blocks: Reshape, Permute, Expand, Squeeze, Unsqueeze, Concatenate, Stack, Split, Pad
and indexing (GetItem: integers, slices, None, ``...`` and one integer array).

With a dynamic batch, a reshape or expand whose target shape holds the batch size (Flatten's
``(N, -1)``) gets ``0`` ("copy the input's size") or ``-1`` ("infer") on that axis instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.functional import shape as sh
from nnblocks.onnx.graph import OpContext
from nnblocks.onnx.registry import converts

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def _partner_shape(ctx: OpContext) -> tuple[int, ...] | None:
    partner = ctx.op.partner
    if partner is None:
        return None
    return np.shape(getattr(partner.inputs[0], "array", partner.inputs[0]))


@converts(sh.ReshapeBlock, batch_hypers=("shape",))
def reshape(ctx: OpContext) -> str:
    target = [int(s) for s in ctx.hyper["shape"]]
    changed = ctx.varying("shape")
    if changed is not None:
        first, second = changed
        in1, in2 = ctx.shape(0), _partner_shape(ctx)
        infer = []
        for i, (a, b) in enumerate(zip(first, second)):
            if a == b:
                continue
            if i < len(in1) and in1[i] == a and in2[i] == b:
                target[i] = 0                               # the input's size on this axis
            else:
                infer.append(i)
        if len(first) != len(second) or len(infer) > 1 or (infer and -1 in target):
            raise ctx.error(f"the target shape depends on the batch size in a way a Reshape "
                            f"cannot express ({tuple(first)} vs {tuple(second)}); export with "
                            "dynamic_batch=False")
        for i in infer:
            target[i] = -1
    return ctx.g.reshape(ctx.input(0), target)


@converts(sh.PermuteBlock)
def permute(ctx: OpContext) -> str:
    ndim = ctx.ndim(0)
    return ctx.g.transpose(ctx.input(0), [int(d) % ndim for d in ctx.hyper["dims"]])


@converts(sh.ExpandBlock, batch_hypers=("shape",))
def expand(ctx: OpContext) -> str:
    """ONNX Expand broadcasts both ways, so a 1 keeps the input's size (-1 in PyTorch, and the
    batch axis with a dynamic batch)."""
    target = [1 if int(s) == -1 else int(s) for s in ctx.hyper["shape"]]
    changed = ctx.varying("shape")
    if changed is not None:
        new = len(target) - ctx.ndim(0)
        for i, (a, b) in enumerate(zip(*changed)):
            if a != b:
                if i < new or ctx.shape(0)[i - new] != a:
                    raise ctx.error("the target shape depends on the batch size; export with "
                                    "dynamic_batch=False")
                target[i] = 1
    return ctx.g.node("Expand", [ctx.input(0), ctx.g.ints(target)])


def _squeezed(shape: tuple[int, ...], dim: Any) -> list[int]:
    ndim = len(shape)
    if dim is None:
        return [i for i, n in enumerate(shape) if n == 1]
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    return sorted({int(d) % ndim for d in dims if shape[int(d) % ndim] == 1}) if ndim else []


@converts(sh.SqueezeBlock)
def squeeze(ctx: OpContext) -> str:
    axes = _squeezed(ctx.shape(0), ctx.hyper.get("dim"))
    other = _partner_shape(ctx)
    if other is not None and _squeezed(other, ctx.hyper.get("dim")) != axes:
        raise ctx.error("the squeezed axes depend on the batch size (a batch of 1 was "
                        "squeezed); export with dynamic_batch=False or a larger example batch")
    if not axes:
        return ctx.g.node("Identity", [ctx.input(0)])
    return ctx.g.squeeze(ctx.input(0), axes)


@converts(sh.UnsqueezeBlock)
def unsqueeze(ctx: OpContext) -> str:
    dim = int(ctx.hyper["dim"])
    return ctx.g.unsqueeze(ctx.input(0), [dim % (ctx.ndim(0) + 1)])


def _all_inputs(ctx: OpContext) -> list[str]:
    dtype = ctx.out_array().dtype
    return [ctx.input_as(i, dtype) for i in range(len(ctx.op.inputs))]


@converts(sh.ConcatenateBlock)
def concatenate(ctx: OpContext) -> str:
    axis = int(ctx.hyper.get("dim", 0)) % ctx.out_array().ndim
    return ctx.g.node("Concat", _all_inputs(ctx), axis=axis)


@converts(sh.StackBlock)
def stack(ctx: OpContext) -> str:
    axis = int(ctx.hyper.get("dim", 0)) % ctx.out_array().ndim
    parts = [ctx.g.unsqueeze(x, [axis]) for x in _all_inputs(ctx)]
    return ctx.g.node("Concat", parts, axis=axis)


@converts(sh.SplitBlock)
def split(ctx: OpContext) -> list[str]:
    sizes = [int(s) for s in ctx.hyper["sizes"]]
    axis = int(ctx.hyper.get("dim", 0)) % ctx.ndim(0)
    outs = ctx.g.node("Split", [ctx.input(0), ctx.g.ints(sizes)], outputs=len(sizes), axis=axis)
    return [outs] if len(sizes) == 1 else outs


@converts(sh.PadBlock)
def pad(ctx: OpContext) -> str:
    """PyTorch's ``pad`` lists (before, after) from the last axis backwards; ONNX lists all
    befores then all afters, from the first axis."""
    ndim = ctx.ndim(0)
    given = [int(p) for p in ctx.hyper["pad"]]
    before, after = [0] * ndim, [0] * ndim
    for k in range(len(given) // 2):
        before[ndim - 1 - k], after[ndim - 1 - k] = given[2 * k], given[2 * k + 1]
    value = ctx.g.scalar(float(ctx.hyper.get("value", 0.0)), ctx.dtype(0))
    return ctx.g.node("Pad", [ctx.input(0), ctx.g.ints(before + after), value], mode="constant")


def _expand_index(index: Any, ndim: int, who: OpContext) -> list[Any]:
    items = list(index) if isinstance(index, tuple) else [index]
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    at = [n for n, i in enumerate(items) if i is Ellipsis]      # not `in`: arrays compare
    if at:
        items[at[0]:at[0] + 1] = [slice(None)] * (ndim - used)
    return items


@converts(sh.GetItemBlock)
def getitem(ctx: OpContext) -> str:
    """Slices become Slice (Python's bounds: ONNX clamps as Python does), integers a Gather of
    a scalar (removing the axis), None an Unsqueeze, one integer array a Gather."""
    g = ctx.g
    y = ctx.input(0)
    shape = ctx.shape(0)
    index = ctx.hyper["index"]
    items = _expand_index(index, len(shape), ctx)
    arrays = [i for i in items if isinstance(i, (np.ndarray, list))]
    if len(arrays) > 1 or any(np.asarray(a).dtype == np.bool_ for a in arrays) or any(
            isinstance(i, (bool, np.bool_)) for i in items):
        raise ctx.error(f"index {index!r} (boolean masks or several index arrays) has no ONNX "
                        "export")
    axis = 0                                      # current axis of the intermediate result
    for item in items:
        if item is None:
            y = g.unsqueeze(y, [axis])
            axis += 1
        elif isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else int(item.step)
                start = item.start if item.start is not None else (
                    0 if step > 0 else INT64_MAX)
                stop = item.stop if item.stop is not None else (
                    INT64_MAX if step > 0 else INT64_MIN)
                y = g.slice(y, [int(start)], [int(stop)], [axis], [step])
            axis += 1
        elif isinstance(item, (int, np.integer)):
            y = g.node("Gather", [y, g.initializer(np.asarray(int(item), np.int64))], axis=axis)
        else:
            positions = np.asarray(item, dtype=np.int64)
            y = g.node("Gather", [y, g.initializer(positions)], axis=axis)
            axis += positions.ndim
    return y if y != ctx.input(0) else g.node("Identity", [y])
