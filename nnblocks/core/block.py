"""The computing block: the unit of which every network is composed.

A block is pure math on arrays, with no state and no knowledge of tensors or graphs::

    forward(*arrays, **hyper) -> (y, saved)
    backward(saved, gy)       -> one gradient per input (None where there is none)

Parameters are ordinary inputs, so the derivative with respect to a block's input and with
respect to its parameters are one mechanism. :meth:`Block.apply` is the bridge to tensors: it runs
``forward`` on the inputs' arrays and, when any input requires a gradient, records a
:class:`Node` so :func:`nnblocks.core.autograd.backward` can replay the block backwards.

A block with several outputs returns a tuple ``y`` from ``forward`` and receives a tuple ``gy``
(one array per output, zeros where an output got no gradient) in ``backward``.

Which inputs need a gradient has one name everywhere, PyTorch's ``needs_input_grad``: one bool
per input (the :class:`Node` attribute, and ``ctx.needs_input_grad`` of
:class:`nnblocks.autograd.Function`). A block that sets ``takes_needs_input_grad = True`` receives
it as a keyword of ``forward`` (all False when nothing is recorded), keeps in ``saved`` what its
backward will need, and skips the rest: the first layer of a network needs no gradient w.r.t.
the data, so its backward skips one GEMM and its forward keeps no im2col matrix for it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar

import numpy as np

from nnblocks.core import grad_mode
from nnblocks.core.tensor import Tensor
from nnblocks.core.version import share, versions_of

Array = np.ndarray

#: A tracer (None unless one is installed in this context, e.g. by ``nnblocks.onnx.export``):
#: when set, :meth:`Block.apply` hands each call to it as ``tracer(cls, inputs, hyper)`` and
#: returns what it returns. The tracer runs the block itself (with the variable reset to None
#: around that call) and records the application, hyper-parameters included.
block_tracer: ContextVar[Any] = ContextVar("nnblocks_block_tracer", default=None)


def constants_count(tensors: tuple) -> int:
    """How many of a block's inputs are constants (None in the node's tensors)."""
    return sum(1 for t in tensors if t is None)


class Node:
    """One application of a block recorded in the graph.

    Attributes:
        block: the :class:`Block` subclass that was applied.
        saved: what its ``forward`` returned for ``backward`` (``None`` once freed).
        inputs: the input tensors (``None`` for constants).
        needs_input_grad: for each input, whether a gradient must flow to it.
        out_meta: ``(shape, dtype)`` of each output, to build zero gradients for unused outputs.
        multi: whether ``forward`` returned a tuple of outputs.
        freed: whether ``saved`` was released by a backward pass without ``retain_graph``.
        retained: output tensors whose ``.grad`` is kept (``Tensor.retain_grad``), or None.
        versions: the inputs' versions when recorded, or None when all were 0.
        out_vcs: ``[(counter, version)]`` of the outputs it saved, each counter with the version
            its output must still have at backward, or None (see :mod:`nnblocks.core.version`).
    """

    __slots__ = ("block", "saved", "inputs", "needs_input_grad", "out_meta", "multi", "freed",
                 "retained", "versions", "out_vcs")

    def __init__(self, block, saved, inputs, needs_input_grad, out_meta, multi):
        self.block = block
        self.saved = saved
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.out_meta = out_meta
        self.multi = multi
        self.freed = False
        self.retained = None
        self.versions = None
        self.out_vcs = None

    def __repr__(self) -> str:
        return f"<Node {self.block.__name__}>"


class Block:
    """Base class of every computing block; subclasses define ``forward`` and ``backward``.

    Subclasses register themselves in :attr:`Block.registry` so the test suite can check that
    every block has a reference test and a gradient check.
    """

    registry: ClassVar[dict[str, type[Block]]] = {}
    #: False for blocks that never produce gradients (comparisons): they are never recorded
    differentiable: ClassVar[bool] = True
    #: True for blocks whose ``forward`` takes the keyword ``needs_input_grad`` (a tuple of
    #: bools, one per input; all False when the call is not recorded): the block saves what its
    #: backward needs for those inputs only and returns None for the others (e.g. a network's
    #: first LinearBlock or Conv2dBlock needs no gradient w.r.t. its input)
    takes_needs_input_grad: ClassVar[bool] = False
    #: indices of the inputs whose arrays ``forward`` puts in ``saved`` (None: all of them, the
    #: safe default); an in-place change of one of them before backward raises
    saved_inputs: ClassVar[tuple[int, ...] | None] = None
    #: ``{j: (i, ...)}``: input ``j`` is needed only for the gradients of inputs ``i, ...``
    #: (``a * b`` needs ``b`` for ``g_a`` and ``a`` for ``g_b``), so when none of those needs a
    #: gradient an in-place change of input ``j`` is harmless and not reported (as PyTorch,
    #: which saves only what the requested gradients use); None: every saved input counts
    saved_input_uses: ClassVar[dict[int, tuple[int, ...]] | None] = None
    #: True when ``saved`` holds the output: an in-place change of the output then raises
    saves_output: ClassVar[bool] = False
    #: True when the output may share the first input's memory (a view): the two then share a
    #: version counter, so an in-place change of either is seen through the other
    is_view: ClassVar[bool] = False

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        # ``class X(Block, register=False)``: a block made at run time (the adapter of a
        # custom autograd Function), which the table of cases cannot know in advance
        super().__init_subclass__(**kwargs)
        if register:
            Block.registry[f"{cls.__module__}.{cls.__qualname__}"] = cls

    @classmethod
    def label(cls) -> str:
        """The name shown to people (graphs, reports): the class name without its ``Block``
        suffix, ``LinearBlock`` -> ``Linear``."""
        name = cls.__name__
        return name[:-len("Block")] if name.endswith("Block") and name != "Block" else name

    @staticmethod
    def forward(*arrays: Array, **hyper: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    @staticmethod
    def backward(saved: Any, gy: Any) -> tuple[Array | None, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **hyper: Any) -> Any:
        """Run the block on tensors (or constants) and record it when a gradient is needed.

        Constants (anything that is not a tensor) are passed to ``forward`` as they are, except
        NumPy scalars, which become Python numbers so that, as in PyTorch, a scalar never changes
        the dtype of a tensor (``float32 tensor * np.float64(2)`` stays float32).

        Returns a :class:`~nnblocks.core.tensor.Tensor`, or a tuple of them for a block with
        several outputs. This is the hot path of every operation, so it stays small: one pass
        over the inputs, the block's ``forward``, and one :class:`Node` when recording.
        """
        tracer = block_tracer.get()
        if tracer is not None:                         # an exporter records every block
            return tracer(cls, inputs, hyper)
        arrays = []                                    # what forward sees
        needs_input_grad = []
        any_grad = versioned = constants = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.array)
                if x._requires_grad:
                    any_grad = True
                    needs_input_grad.append(True)
                else:
                    needs_input_grad.append(False)
                if x._vc is not None:                  # changed in place or viewed before
                    versioned = True
            else:
                constants = True
                needs_input_grad.append(False)
                # a NumPy scalar becomes a Python number: it never upcasts (float32 * np.float64)
                arrays.append(x.item() if isinstance(x, np.generic) else x)
        record = any_grad and cls.differentiable and grad_mode.GRAD_ENABLED.get()
        if cls.takes_needs_input_grad:
            needs = tuple(needs_input_grad) if record else (False,) * len(inputs)
            y, saved = cls.forward(*arrays, needs_input_grad=needs, **hyper)
        else:
            y, saved = cls.forward(*arrays, **hyper)
        # what the node keeps: the input tensors, None for constants
        tensors = (tuple([x if isinstance(x, Tensor) else None for x in inputs]) if constants
                   else inputs)
        if not isinstance(y, tuple):
            if type(y) is not np.ndarray:
                y = np.asarray(y)                      # NumPy scalars from full reductions
            if not record:
                out = Tensor._make(y, None, 0)
            else:
                node = Node(cls, saved, tensors, tuple(needs_input_grad),
                            ((y.shape, y.dtype),), False)
                if versioned:
                    node.versions = versions_of(tensors)
                out = Tensor._make(y, node, 0)
            if cls.is_view and tensors[0] is not None and np.may_share_memory(y, arrays[0]):
                # a view: one version counter for both, and how to replay it (refresh_views)
                share(tensors[0], out, made_by=(Node, cls, saved, ((y.shape, y.dtype),), False,
                                                len(inputs) - constants_count(tensors)))
            return out
        outs = tuple(np.asarray(o) for o in y)
        if not record:
            results = tuple(Tensor._make(o, None, 0) for o in outs)
        else:
            node = Node(cls, saved, tensors, tuple(needs_input_grad),
                        tuple((o.shape, o.dtype) for o in outs), True)
            if versioned:
                node.versions = versions_of(tensors)
            results = tuple(Tensor._make(o, node, i) for i, o in enumerate(outs))
        if cls.is_view and tensors[0] is not None:        # split / chunk: views of the input
            meta = tuple((o.shape, o.dtype) for o in outs)
            for out in results:
                if np.may_share_memory(out.array, arrays[0]):
                    share(tensors[0], out, made_by=(Node, cls, saved, meta, True,
                                                    len(inputs) - constants_count(tensors)))
        return results

