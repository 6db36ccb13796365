"""The Tensor: an ndarray, its gradient, and the block that produced it."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import autograd
from nnblocks.core.dtypes import check_device
from nnblocks.core.tensor_convert import TensorConversions
from nnblocks.core.tensor_inplace import InplaceOps
from nnblocks.core.tensor_more import TensorMoreOps
from nnblocks.core.tensor_ops import TensorOps
from nnblocks.core.version import share

#: dtype of floating tensors made from Python numbers and lists (PyTorch's default)
DEFAULT_DTYPE = np.dtype(np.float32)


def _check_grad_dtype(dtype: np.dtype, who: str) -> None:
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(
            f"{who}: only floating-point tensors can require gradients, got dtype {dtype}"
        )


#: dtype kinds a tensor cannot hold: object (None, mixed Python objects), strings, bytes, void
#: records, datetimes; PyTorch refuses them too ("Could not infer dtype of str/NoneType")
_NON_NUMERIC_KINDS = {"O": "object", "U": "string", "S": "bytes", "V": "void",
                      "M": "datetime", "m": "timedelta"}


def _check_numeric(array: np.ndarray, who: str) -> None:
    """``TypeError`` unless ``array`` holds numbers or booleans."""
    kind = _NON_NUMERIC_KINDS.get(array.dtype.kind)
    if kind is not None:
        raise TypeError(f"{who}: data must be numbers or booleans, got {kind} data (dtype "
                        f"{array.dtype}); convert it first, e.g. with np.asarray(data, "
                        "dtype=np.float32)")


#: NumPy ufunc -> the tensor's method for ``array <op> tensor``
_REFLECTED = {
    np.add: "__radd__", np.subtract: "__rsub__", np.multiply: "__rmul__",
    np.true_divide: "__rtruediv__", np.power: "__rpow__", np.matmul: "__rmatmul__",
    np.less: "__gt__", np.less_equal: "__ge__", np.greater: "__lt__",
    np.greater_equal: "__le__", np.equal: "__eq__", np.not_equal: "__ne__",
}


class Tensor(TensorOps, TensorMoreOps, TensorConversions, InplaceOps):
    """An n-dimensional array that can record how it was computed.

    ``array`` is the NumPy array it wraps (shared, not copied, and its dtype kept; Python numbers
    and lists of floats become float32, as with :func:`tensor`). ``data`` is PyTorch's: a tensor
    sharing that array but cut from the graph and from in-place tracking, so hand-written updates
    such as ``p.data.add_(p.grad, alpha=-lr)`` work; assigning ``p.data = t`` makes ``p`` wrap
    ``t``'s array. ``grad`` is ``None`` until a backward pass accumulates dL/d(this tensor) into
    it: a tensor of the same shape and dtype, added to in place by later passes (as PyTorch's).
    A tensor produced by a block while recording holds the graph
    :class:`~nnblocks.core.block.Node` that made it.

    Arithmetic operators (``+ - * / ** @``, unary ``-``), comparisons, indexing and methods such
    as ``sum``, ``mean``, ``reshape``, each one a block, are defined in the mixin
    :class:`~nnblocks.core.tensor_ops.TensorOps`; dtype conversions (``to``, ``float`` ...) and
    ``new_*`` in :class:`~nnblocks.core.tensor_convert.TensorConversions`; in-place operations
    (``add_``, ``+=`` ...) in :class:`~nnblocks.core.tensor_inplace.InplaceOps`; indexing, running
    sums, logic and more reductions (``gather``, ``cumsum``, ``any`` ...) in
    :class:`~nnblocks.core.tensor_more.TensorMoreOps`.

    >>> import nnblocks as nb
    >>> x = nb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
    >>> x.data.mul_(0.5)                 # changes x itself, unrecorded
    tensor([0.5, 1. , 1.5])
    """

    __slots__ = ("array", "_grad", "_requires_grad", "_node", "_out_index", "_vc", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor dispatches to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.array
        elif isinstance(data, (list, tuple, float, int)) and not isinstance(data, np.generic):
            data = np.asarray(data)                    # Python numbers and lists: floats are
            if data.dtype.kind == "f":                 # float32, as in torch.Tensor/nb.tensor
                data = data.astype(DEFAULT_DTYPE)
        self.array: np.ndarray = np.asarray(data)
        _check_numeric(self.array, "Tensor")
        self._grad: Tensor | None = None
        self._node = None
        self._out_index = 0
        self._vc = None                    # version counter, made on first in-place change
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data: np.ndarray, node: Any, index: int) -> Tensor:
        """Wrap a block's output array without copying (the fast path of ``Block.apply``).

        With a ``node`` the tensor is part of the graph and requires grad, unless its dtype is
        not floating (an integer result carries no gradient and is cut from the graph).
        """
        t = cls.__new__(cls)
        t.array = data
        t._grad = None
        if node is not None and data.dtype.kind != "f":
            node = None
        t._node = node
        t._out_index = index
        t._vc = None
        t._requires_grad = node is not None
        return t

    @staticmethod
    def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
        """A new plain leaf tensor (``new_zeros`` and friends return a Tensor, not a subclass)."""
        return Tensor(array, requires_grad=requires_grad)

    # ------------------------------------------------------------------ properties
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value:
            _check_grad_dtype(self.array.dtype, "Tensor.requires_grad")
        elif self._node is not None:
            raise RuntimeError(
                "Tensor.requires_grad: cannot turn off gradients of a non-leaf tensor; "
                "use .detach()"
            )
        self._requires_grad = bool(value)

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new tensor that shares the array but not the graph or the
        version counter (``torch.Tensor.data``): in-place changes through it are not recorded
        and not detected by backward. Use ``detach()`` to have them detected."""
        return Tensor._make(self.array, None, 0)

    @data.setter
    def data(self, value: Any) -> None:
        array = value.array if isinstance(value, Tensor) else np.asarray(value)
        _check_numeric(array, "Tensor.data")
        if self._requires_grad:
            _check_grad_dtype(array.dtype, "Tensor.data")
        self.array = array

    @property
    def grad(self) -> Tensor | None:
        """dL/d(this tensor) accumulated by backward passes, or None (a tensor of this shape)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        if not isinstance(value, Tensor):
            if not isinstance(value, (np.ndarray, np.generic)):
                raise TypeError(f"Tensor.grad: expected a tensor, a NumPy array or None, got "
                                f"{type(value).__name__}")
            value = Tensor._make(np.asarray(value), None, 0)
        if value.array.shape != self.array.shape:
            raise RuntimeError(f"Tensor.grad: assigned grad has shape {value.array.shape}, "
                               f"expected {self.array.shape} (the tensor's shape)")
        if value.array.dtype != self.array.dtype:
            raise RuntimeError(f"Tensor.grad: assigned grad has dtype {value.array.dtype}, "
                               f"expected {self.array.dtype} (the tensor's dtype)")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded block (parameters, inputs)."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The recorded node that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def device(self) -> Any:
        """Always the CPU (``device(type='cpu')``): nnblocks runs on the CPU."""
        from nnblocks.core.dtypes import CPU

        return CPU

    def cpu(self) -> Tensor:
        """The tensor itself (it is on the CPU already), as in PyTorch."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Refused: nnblocks runs on the CPU."""
        raise RuntimeError("Tensor.cuda: nnblocks runs on the CPU; got 'cuda' "
                           "(leave the tensor where it is, or use .to('cpu'))")

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or the length of axis ``dim``, as PyTorch's ``size()``.

        (Before nnblocks 0.2 ``size`` was NumPy's element count, a property: use ``numel()``.)
        """
        if dim is None:
            return self.array.shape
        ndim = self.array.ndim
        if not -ndim <= dim < max(ndim, 1) or ndim == 0:
            raise IndexError(f"Tensor.size: dim {dim} is out of range for a tensor with "
                             f"{ndim} dims")
        return self.array.shape[dim]

    def numel(self) -> int:
        """Number of elements."""
        return self.array.size

    def nelement(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.array.ndim

    def ndimension(self) -> int:
        return self.array.ndim

    def element_size(self) -> int:
        return self.array.itemsize

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view sharing its memory) has seen."""
        return 0 if self._vc is None else self._vc.version

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __iter__(self) -> Any:
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.array)))

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.array

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs given a tensor.

        - An operator with an array on the left (``array + t``, ``array < t`` ...) is the
          tensor's reflected operator: a recorded block, as without NumPy.
        - Writing into NumPy arrays (``array += t``, ``np.add(a, t, out=a)``) computes on the
          values in place, nothing recorded (without this, ``array += t`` would rebind the name
          to a new tensor).
        - Any other ufunc (``np.exp(t)``, ``np.isfinite(t)``) works on the values and returns
          arrays, as for ``np.asarray(t)``.
        """
        out = kwargs.get("out")
        if out is not None and any(isinstance(o, Tensor) for o in out):
            raise TypeError(f"np.{ufunc.__name__}: out= cannot be a tensor; write the in-place "
                            "tensor method instead (e.g. t.add_(x), t.mul_(x))")
        if out is None and method == "__call__" and len(inputs) == 2 and not kwargs:
            left, right = inputs
            if not isinstance(left, Tensor) and ufunc in _REFLECTED:
                return getattr(right, _REFLECTED[ufunc])(left)
        args = [x.array if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*args, **kwargs)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy conversion: ``np.asarray(t)`` shares the data, ``np.array(t)`` copies."""
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            if copy is False:
                raise ValueError(
                    f"Tensor.__array__: converting dtype {self.array.dtype} to {np.dtype(dtype)} "
                    "needs a copy, but copy=False"
                )
            return self.array.astype(dtype)
        if copy:
            return self.array.copy()
        return self.array

    def item(self) -> float | int | bool:
        if self.array.size != 1:
            raise ValueError(f"Tensor.item: tensor has {self.array.size} elements, expected 1")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """An integer tensor of one element used as an index (``range(n)``, ``lst[i]``)."""
        if self.array.size != 1 or self.array.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index (got dtype {self.array.dtype}, shape {self.array.shape})")
        return int(self.array.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a 0-d tensor's value, as PyTorch's."""
        if self.array.ndim == 0:
            return self.array.item().__format__(spec)
        return object.__format__(self, spec)

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous"
            )
        return bool(self.array.item())

    def astype(self, dtype: Any) -> Tensor:
        """A copy with another dtype, cut from the graph (like ``.detach().to(dtype)``; the
        differentiable conversions are ``to(dtype)``, ``float()``, ``double()``)."""
        return Tensor(self.array.astype(dtype), requires_grad=False)

    # ------------------------------------------------------------------ autograd
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate dL/dx into ``.grad`` of every leaf this tensor depends on.

        Args:
            grad: dL/d(self); required unless the tensor has exactly one element.
            retain_graph: keep saved arrays so the same graph can be backpropagated again;
                without it a second backward through the same blocks raises ``RuntimeError``.
        """
        autograd.backward(self, grad, retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this data (and version counter) but cut from the graph."""
        out = Tensor(self.array, requires_grad=False)
        share(self, out, view=False)
        return out

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor during backward (leaves always keep it)."""
        if self._node is None:
            return
        if self._node.retained is None:
            self._node.retained = []
        if all(t is not self for t in self._node.retained):
            self._node.retained.append(self)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` in every backward pass once ``self.grad`` is final for that pass
        (see :func:`nnblocks.core.autograd.register_post_accumulate_grad_hook`); returns a
        handle whose ``remove()`` unregisters it."""
        return autograd.register_post_accumulate_grad_hook(self, hook)

    def _add_grad(self, g: np.ndarray) -> None:
        if self._grad is None:
            self._grad = Tensor._make(np.array(g, dtype=self.array.dtype, copy=True), None, 0)
        else:
            self._grad.array += g

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        body = np.array2string(self.array, separator=", ", prefix="tensor(")
        extras = []
        if self.array.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.array.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node.block.__name__}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """Make a new leaf tensor (copying ``data``), like ``torch.tensor``.

    Python numbers and lists of floats become float32 (the default dtype); NumPy arrays and
    tensors keep their dtype unless ``dtype`` is given. Integer data stays integer. ``device``
    must be the CPU (any other raises, naming it); ``pin_memory`` means nothing on the CPU.

    >>> import nnblocks as nb
    >>> nb.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> nb.tensor(np.zeros(2)).dtype
    dtype('float64')
    """
    check_device(device, "tensor")
    if isinstance(data, Tensor):
        data = data.array
    if dtype is not None:
        array = np.array(data, dtype=dtype, copy=True)
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, copy=True)
    else:
        array = np.array(data)
        if np.issubdtype(array.dtype, np.floating):
            array = array.astype(DEFAULT_DTYPE)
    _check_numeric(array, "tensor")
    if requires_grad:
        _check_grad_dtype(array.dtype, "tensor(requires_grad=True)")
    return Tensor(array, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Return ``data`` itself when it is a tensor (of the given dtype), else a new tensor."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return tensor(data, dtype=dtype)
