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

A block that sets ``wants_needs_grad = True`` gets a third argument,
``backward(saved, gy, needs_grad)``: one bool per input, so it can skip work for inputs that need
no gradient (the first layer of a network needs none w.r.t. the data).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar

import numpy as np

from nnblocks.core import grad_mode
from nnblocks.core.tensor import Tensor

Array = np.ndarray

#: A tracer (None unless one is installed in this context, e.g. by ``nnblocks.onnx.export``):
#: when set, :meth:`Block.apply` hands each call to it as ``tracer(cls, inputs, hyper)`` and
#: returns what it returns. The tracer runs the block itself (with the variable reset to None
#: around that call) and records the application, hyper-parameters included.
block_tracer: ContextVar[Any] = ContextVar("nnblocks_block_tracer", default=None)


class Node:
    """One application of a block recorded in the graph.

    Attributes:
        block: the :class:`Block` subclass that was applied.
        saved: what its ``forward`` returned for ``backward`` (``None`` once freed).
        inputs: the input tensors (``None`` for constants).
        needs_grad: for each input, whether a gradient must flow to it.
        out_meta: ``(shape, dtype)`` of each output, to build zero gradients for unused outputs.
        multi: whether ``forward`` returned a tuple of outputs.
        freed: whether ``saved`` was released by a backward pass without ``retain_graph``.
        retained: output tensors whose ``.grad`` is kept (``Tensor.retain_grad``), or None.
    """

    __slots__ = ("block", "saved", "inputs", "needs_grad", "out_meta", "multi", "freed", "retained")

    def __init__(self, block, saved, inputs, needs_grad, out_meta, multi):
        self.block = block
        self.saved = saved
        self.inputs = inputs
        self.needs_grad = needs_grad
        self.out_meta = out_meta
        self.multi = multi
        self.freed = False
        self.retained = None

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
    #: True for blocks whose ``backward(saved, gy, needs_grad)`` takes a third argument, a tuple
    #: of bools saying which inputs need a gradient, so it can skip the others and return None
    #: for them (e.g. a network's first Linear or Conv2d needs no gradient w.r.t. its input)
    wants_needs_grad: ClassVar[bool] = False

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
        arrays = list(inputs)                          # what forward sees
        tensors = list(inputs)                         # what the node keeps (None: constant)
        needs_grad = [False] * len(inputs)
        any_grad = False
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor):
                arrays[i] = x.data
                if x._requires_grad:
                    needs_grad[i] = any_grad = True
            else:
                tensors[i] = None
                if isinstance(x, np.generic):          # NumPy scalar: a Python number, so
                    arrays[i] = x.item()               # it never upcasts (float32 * np.float64)
        y, saved = cls.forward(*arrays, **hyper)
        multi = isinstance(y, tuple)
        record = any_grad and cls.differentiable and grad_mode.GRAD_ENABLED.get()
        if not multi:
            if type(y) is not np.ndarray:
                y = np.asarray(y)                      # NumPy scalars from full reductions
            if not record:
                return Tensor._make(y, None, 0)
            node = Node(cls, saved, tuple(tensors), tuple(needs_grad),
                        ((y.shape, y.dtype),), False)
            return Tensor._make(y, node, 0)
        outs = tuple(np.asarray(o) for o in y)
        if not record:
            return tuple(Tensor._make(o, None, 0) for o in outs)
        node = Node(cls, saved, tuple(tensors), tuple(needs_grad),
                    tuple((o.shape, o.dtype) for o in outs), True)
        return tuple(Tensor._make(o, node, i) for i, o in enumerate(outs))

