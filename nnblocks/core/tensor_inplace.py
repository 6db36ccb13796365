"""In-place operations of :class:`~nnblocks.core.Tensor` with PyTorch's semantics (a mixin).

``x.add_(y)``, ``x += y``, ``x.zero_()`` ... change ``x`` itself: the same tensor object and the
same NumPy array, so every view and every ``x.numpy()`` taken before sees the new values, and
each change bumps ``x``'s version (:mod:`nnblocks.core.version`).

The rules, as PyTorch's:

- a **leaf that requires grad** (a parameter) may be changed in place only while no graph is
  recorded (``with nb.no_grad():``, as optimizers do); outside it the change raises, saying what
  to write instead;
- while recording, an in-place operation on a tensor of the graph (or taking an input that
  requires grad) is **recorded**: the new value is computed by the operation's block from a copy
  of the old value, written into the tensor's array, and the tensor becomes that block's output
  (its ``grad_fn`` changes, as in PyTorch). Blocks recorded earlier keep sending their gradient
  to the tensor's previous producer;
- a block that saved the old value for its backward raises at backward, naming itself (version
  counters), instead of computing a wrong gradient.

Limit: a *recorded* in-place operation on a view of another tensor of the graph (or on a tensor
that has such views) is refused with a ``RuntimeError``: PyTorch rewrites the base's history
there, nnblocks does not. Under ``no_grad()``, and on tensors outside the graph, views work as in
PyTorch.

The operations themselves are blocks of the functional layer, reached through ``_F`` of
:mod:`nnblocks.core.tensor_ops` (see there why it is late-bound).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import grad_mode, tensor_ops
from nnblocks.core.version import (
    base_and_index,
    bump,
    counter_of,
    refresh_views,
    view_entry,
    watch_output,
)

_ALL = np.ones((), dtype=bool)          # where(_ALL, value, x): every element replaced


def unwrap_index(index: Any) -> Any:
    """An index with tensors replaced by their arrays (also used by ``Tensor.__getitem__``)."""
    if isinstance(index, InplaceOps):
        return index.array
    if isinstance(index, tuple):
        return tuple(unwrap_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray([getattr(i, "array", i) for i in index])
    return index


def _needs_grad(x: Any) -> bool:
    return getattr(x, "_requires_grad", False) is True


class InplaceOps:
    """The in-place half of the Tensor interface (``*_`` methods and ``+= -= *= /=``).

    >>> import nnblocks as nb
    >>> w = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> array = w.array
    >>> with nb.no_grad():
    ...     w -= 0.5
    >>> w, w.array is array
    (tensor([0.5, 1.5], requires_grad=True), True)
    """

    __slots__ = ()

    # ------------------------------------------------------------------ machinery
    def _inplace(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Replace this tensor's value by ``fn(self, *args, **kwargs)`` (a tensor computed by
        blocks), in place, recording it when a gradient must flow (see the module docstring)."""
        F = tensor_ops._F
        recording = grad_mode.GRAD_ENABLED.get()
        if recording and self._requires_grad and self._node is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad (shape {tuple(self.array.shape)}) is "
                "being changed in place while gradients are recorded; do the update inside "
                "`with nb.no_grad():` (as optimizers do), or use an out-of-place op "
                "such as x = x + y"
            )
        if not recording or not (self._requires_grad or any(map(_needs_grad, args))):
            with grad_mode.no_grad():
                out = fn(self, *args, **kwargs)
            self._write(name, out.array)
            return self
        vc = self._vc
        through = None
        entry = view_entry(self)
        if entry is not None or (vc is not None and vc.opaque_view):
            through = None if entry is None else base_and_index(entry)
            if through is None:
                raise RuntimeError(
                    f"{name}: a recorded in-place change of this view of another tensor is not "
                    "supported by nnblocks (only views made by indexing, x[...], are replayed "
                    "on their base); change the base instead (e.g. x[index] = value), use an "
                    "out-of-place op such as y = y * 2, or clone() the view first"
                )
        old = type(self)._make(self.array.copy(), self._node, self._out_index)   # the old value
        old._requires_grad = self._requires_grad
        out = fn(old, *args, **kwargs)
        if out.array.dtype != self.array.dtype:
            self._check_cast(name, out.array.dtype)
            out = F.cast(out, self.array.dtype)
        if through is not None:                        # a view made by indexing: write the
            base, index = through                      # result into the base (recorded there),
            base[index] = out                          # which refreshes this view too
            return self
        before = counter_of(self).version
        self._write(name, out.array)                    # same array, version + 1
        vc = self._vc
        if out._node is not None:                      # rebase: self is now out
            if vc.history is None:
                vc.history = {}
            vc.history.setdefault(id(self), []).append((before, self._node, self._out_index))
            self._node = out._node
            self._out_index = out._out_index
            self._requires_grad = True
            if out._node.block.saves_output:
                watch_output(out._node, vc)
            if vc.views:
                refresh_views(vc, before)               # views now read the changed base
        return self

    def _check_cast(self, name: str, dtype: np.dtype) -> None:
        if not np.can_cast(dtype, self.array.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{name}: result type {dtype} can't be cast to the dtype {self.array.dtype} of "
                "the tensor changed in place; use an out-of-place op such as x = x + y"
            )

    def _write(self, name: str, values: Any) -> None:
        """Copy ``values`` (this tensor's shape) into the array, and bump the version."""
        values = np.asarray(values)
        if values.shape != self.array.shape:
            raise RuntimeError(
                f"{name}: the result has shape {values.shape}, but the tensor changed in place "
                f"has shape {self.array.shape} (in-place results cannot grow by broadcasting)"
            )
        self._check_cast(name, values.dtype)
        try:
            np.copyto(self.array, values, casting="unsafe")
        except ValueError as e:                        # read-only: an expanded view
            raise RuntimeError(f"{name}: cannot write into this tensor ({e}); clone() it "
                               "first") from None
        bump(self)

    def _fill(self, name: str, values: Any) -> Any:
        """Set every element from ``values`` (broadcast, cast to this dtype): ``fill_``,
        ``zero_``, ``copy_`` and the random fills."""
        if grad_mode.GRAD_ENABLED.get() and (self._requires_grad or _needs_grad(values)):
            return self._inplace(name, lambda t, v: tensor_ops._F.where(_ALL, v, t), values)
        array = np.asarray(getattr(values, "array", values))
        try:
            target = np.broadcast_to(array, self.array.shape)
        except ValueError:
            raise RuntimeError(f"{name}: a value of shape {array.shape} does not broadcast to "
                               f"the tensor's shape {self.array.shape}") from None
        self._write(name, target.astype(self.array.dtype, copy=False))
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` in place. On a tensor of the graph, or with a value that needs a
        gradient, the assignment is recorded (:class:`~nnblocks.functional.index_put.IndexPutBlock`:
        the gradient flows to the kept part of ``x`` and to ``value``), as PyTorch's; on a leaf
        that requires grad it is allowed under ``no_grad()`` only."""
        if grad_mode.GRAD_ENABLED.get() and (self._requires_grad or _needs_grad(value)):
            self._inplace("setitem", lambda t, v: tensor_ops._F.index_put(t, index, v), value)
            return
        self.array[unwrap_index(index)] = getattr(value, "array", value)
        bump(self)

    # ------------------------------------------------------------------ arithmetic
    def _unrecorded(self, ufunc: np.ufunc, other: Any) -> bool:
        """The fast path of ``add_``/``sub_``/``mul_``/``div_`` (hand-written updates such as
        ``w -= lr * w.grad`` under ``no_grad``): when nothing is recorded, this tensor is
        floating and ``other`` is a Python number or a tensor of this dtype and shape (or 0-d),
        apply the ufunc straight into the array (the same NumPy loop as the block, so the same
        bits) and bump the version. Returns False for everything else, which takes the general
        path of :meth:`_inplace`. Integer tensors take it with a Python int (not for ``div_``:
        true division makes floats)."""
        array = self.array
        kind = array.dtype.kind
        integer_step = kind in "iu" and type(other) is int and ufunc is not np.true_divide
        if kind != "f" and not integer_step:
            return False
        recording = grad_mode.GRAD_ENABLED.get()
        if isinstance(other, InplaceOps):
            if recording and (self._requires_grad or other._requires_grad):
                return False
            value = other.array
            if value.dtype != array.dtype or (value.shape != array.shape and value.ndim != 0):
                return False
        elif type(other) is int or (type(other) is float and kind == "f"):
            if recording and self._requires_grad:
                return False
            value = other
        else:
            return False
        try:
            ufunc(array, value, out=array)
        except ValueError:                             # read-only: the general path explains
            return False
        bump(self)
        return True

    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self += alpha * other`` in place."""
        if alpha == 1 and self._unrecorded(np.add, other):
            return self
        return self._inplace("add_", lambda t, o: t.add(o, alpha=alpha), other)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self -= alpha * other`` in place."""
        if alpha == 1 and self._unrecorded(np.subtract, other):
            return self
        return self._inplace("sub_", lambda t, o: t.sub(o, alpha=alpha), other)

    def mul_(self, other: Any) -> Any:
        if self._unrecorded(np.multiply, other):
            return self
        return self._inplace("mul_", lambda t, o: t * o, other)

    def div_(self, other: Any) -> Any:
        if self._unrecorded(np.true_divide, other):
            return self
        return self._inplace("div_", lambda t, o: t / o, other)

    def __iadd__(self, other: Any) -> Any:
        return self.add_(other)

    def __isub__(self, other: Any) -> Any:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Any:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Any:
        return self.div_(other)

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self += value * tensor1 * tensor2`` in place."""
        return self._inplace("addcmul_", lambda t, a, b: t + value * (a * b), tensor1, tensor2)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self += value * tensor1 / tensor2`` in place."""
        return self._inplace("addcdiv_", lambda t, a, b: t + value * (a / b), tensor1, tensor2)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        return self._inplace("clamp_", lambda t: t.clamp(min, max))

    clip_ = clamp_

    def exp_(self) -> Any:
        return self._inplace("exp_", lambda t: t.exp())

    def sqrt_(self) -> Any:
        return self._inplace("sqrt_", lambda t: t.sqrt())

    def relu_(self) -> Any:
        return self._inplace("relu_", lambda t: t.relu())

    def sigmoid_(self) -> Any:
        return self._inplace("sigmoid_", lambda t: t.sigmoid())

    def tanh_(self) -> Any:
        return self._inplace("tanh_", lambda t: t.tanh())

    def abs_(self) -> Any:
        return self._inplace("abs_", lambda t: t.abs())

    def neg_(self) -> Any:
        return self._inplace("neg_", lambda t: -t)

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._inplace("masked_fill_", lambda t, v: t.masked_fill(mask, v), value)

    # ------------------------------------------------------------------ fills
    def zero_(self) -> Any:
        """Set every element to 0 in place."""
        return self._fill("zero_", np.zeros((), dtype=self.array.dtype))

    def fill_(self, value: Any) -> Any:
        """Set every element to ``value`` (a number or a one-element tensor) in place."""
        return self._fill("fill_", value)

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor; the
        gradient flows to ``src``."""
        return self._fill("copy_", src)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with samples of N(mean, std²) from ``generator`` (a NumPy Generator) or
        nnblocks' default generator."""
        rng = get_rng(generator)
        return self._fill("normal_", rng.normal(mean, std, self.array.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with samples of U(a, b) from ``generator`` or nnblocks' default generator."""
        rng = get_rng(generator)
        return self._fill("uniform_", rng.uniform(a, b, self.array.shape))
