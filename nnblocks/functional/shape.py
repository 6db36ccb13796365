"""Blocks that move elements without changing them: reshape, permute, expand, squeeze,
concatenate, stack, split, pad, flatten. Each backward moves the gradient back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.core.tensor_inplace import unwrap_index
from nnblocks.functional.dims import normalize_dims

Array = np.ndarray


class ReshapeBlock(Block):
    r"""View ``x`` with another shape of the same size; :math:`g_x` = ``g_y`` reshaped back.

    Shapes:
        x: any; y: ``shape`` (one entry may be -1); g_x: x's shape.
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def forward(x: Array, *, shape: tuple[int, ...]) -> tuple[Array, tuple]:
        try:
            y = x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from None
        return y, x.shape

    @staticmethod
    def backward(shape: tuple, gy: Array) -> tuple[Array]:
        return (gy.reshape(shape),)


class PermuteBlock(Block):
    r"""Reorder axes: ``y = x.transpose(dims)``; :math:`g_x` = ``g_y`` transposed by the
    inverse permutation.

    Shapes:
        x: ``(d_0, ..., d_{n-1})``; y: ``(d_{dims[0]}, ..., d_{dims[n-1]})``.
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def forward(x: Array, *, dims: tuple[int, ...]) -> tuple[Array, tuple]:
        in_range = all(-x.ndim <= d < x.ndim for d in dims)
        if not in_range or sorted(d % x.ndim for d in dims) != list(range(x.ndim)):
            raise ValueError(
                f"permute: dims {tuple(dims)} is not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
        dims = tuple(int(d) % x.ndim for d in dims)
        return np.transpose(x, dims), tuple(int(i) for i in np.argsort(dims))

    @staticmethod
    def backward(inverse: tuple, gy: Array) -> tuple[Array]:
        return (np.transpose(gy, inverse),)


class ExpandBlock(Block):
    r"""Broadcast ``x`` to ``shape`` (a read-only view); :math:`g_x` sums ``g_y`` over the
    copies (done by the core's un-broadcasting).

    Shapes:
        x: broadcastable to ``shape``; y: ``shape`` (-1 keeps x's size on that axis).
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def forward(x: Array, *, shape: tuple[int, ...]) -> tuple[Array, tuple]:
        new = len(shape) - x.ndim                     # leading axes that x does not have
        if new < 0 or any(s == -1 for s in shape[:new]):
            raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}")
        target = tuple(x.shape[i - new] if s == -1 else s for i, s in enumerate(shape))
        try:
            y = np.broadcast_to(x, target)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}") from None
        return y, None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[Array]:
        return (gy,)                                  # the core sums back to x.shape


class SqueezeBlock(Block):
    r"""Remove axes of length 1 (all of them, or those in ``dim``; other axes in ``dim`` are
    kept, as in PyTorch). :math:`g_x` = ``g_y`` reshaped back.

    Shapes:
        x: ``(*)``; y: x's shape without the removed 1s.
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def forward(x: Array, *, dim: int | tuple[int, ...] | None = None) -> tuple[Array, tuple]:
        if dim is None:
            dims = tuple(i for i, n in enumerate(x.shape) if n == 1)
        else:
            dims = normalize_dims("squeeze", dim, x.ndim) if x.ndim else ()
            dims = tuple(d for d in dims if x.shape[d] == 1)      # PyTorch: others are kept
        return np.squeeze(x, axis=dims), x.shape

    @staticmethod
    def backward(shape: tuple, gy: Array) -> tuple[Array]:
        return (gy.reshape(shape),)


class UnsqueezeBlock(Block):
    r"""Insert an axis of length 1 at ``dim``. :math:`g_x` = ``g_y`` reshaped back.

    Shapes:
        x: ``(*)`` with n axes; y: n + 1 axes, 1 at ``dim`` in ``[-n-1, n]``.
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def forward(x: Array, *, dim: int) -> tuple[Array, tuple]:
        if not -x.ndim - 1 <= dim <= x.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for a tensor with {x.ndim} dims")
        return np.expand_dims(x, dim), x.shape

    @staticmethod
    def backward(shape: tuple, gy: Array) -> tuple[Array]:
        return (gy.reshape(shape),)


def _check_joinable(name: str, arrays: Sequence[Array], dim: int, same_shape: bool) -> int:
    if not arrays:
        raise ValueError(f"{name}: needs at least one tensor")
    first = np.shape(arrays[0])
    ndim = len(first) + (1 if same_shape else 0)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} out of range for tensors with {len(first)} dims")
    dim %= ndim
    for i, a in enumerate(arrays):
        shape = np.shape(a)
        other = first if same_shape else first[:dim] + shape[dim:dim + 1] + first[dim + 1:]
        if shape != other:
            raise ValueError(
                f"{name}: tensor {i} has shape {shape}, expected {other} "
                f"(to match tensor 0 of shape {first} along dim {dim})"
            )
    return dim


class ConcatenateBlock(Block):
    r"""Join tensors along an existing axis; :math:`g_{x_i}` is the slice of ``g_y`` that x_i
    filled.

    Shapes:
        x_i: equal except along ``dim``; y: their sizes summed along ``dim``.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(*arrays: Array, dim: int = 0) -> tuple[Array, tuple]:
        dim = _check_joinable("cat", arrays, dim, same_shape=False)
        sizes = [np.shape(a)[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim), (dim, np.cumsum(sizes)[:-1])

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, ...]:
        dim, cuts = saved
        return tuple(np.split(gy, cuts, axis=dim))


class StackBlock(Block):
    r"""Join same-shape tensors along a new axis; :math:`g_{x_i} = g_y[\ldots, i, \ldots]`.

    Shapes:
        x_1..x_k: all ``S``; y: ``S`` with k inserted at ``dim``.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(*arrays: Array, dim: int = 0) -> tuple[Array, int]:
        dim = _check_joinable("stack", arrays, dim, same_shape=True)
        return np.stack(arrays, axis=dim), dim

    @staticmethod
    def backward(dim: int, gy: Array) -> tuple[Array, ...]:
        return tuple(np.moveaxis(gy, dim, 0))


class SplitBlock(Block):
    r"""Split along ``dim`` into pieces of the given sizes (several outputs);
    :math:`g_x` concatenates the pieces' gradients.

    Shapes:
        x: ``(*)``; piece j: x's shape with ``sizes[j]`` along ``dim``.
    """

    saved_inputs = ()                  # saves no input array
    is_view = True                     # the pieces are views of the input

    @staticmethod
    def forward(x: Array, *, sizes: tuple[int, ...], dim: int = 0) -> tuple[tuple, int]:
        (dim,) = normalize_dims("split", dim, x.ndim)
        if sum(sizes) != x.shape[dim]:
            raise ValueError(
                f"split: sizes {tuple(sizes)} sum to {sum(sizes)}, but dim {dim} of "
                f"shape {x.shape} has {x.shape[dim]}"
            )
        return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim)), dim

    @staticmethod
    def backward(dim: int, gy: tuple) -> tuple[Array]:
        return (np.concatenate(gy, axis=dim),)



class PadBlock(Block):
    r"""Pad with a constant. ``pad`` follows ``torch.nn.functional.pad``: pairs
    ``(left, right)`` starting from the **last** axis. :math:`g_x` is the centre of ``g_y``.

    Shapes:
        x: ``(*)``; y: each padded axis grown by ``left + right``.
    """

    saved_inputs = ()                  # saves no input array

    @staticmethod
    def forward(x: Array, *, pad: tuple[int, ...], value: float = 0.0) -> tuple[Array, tuple]:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(
                f"pad: needs an even number of values for at most {x.ndim} axes, got {pad}"
            )
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {pad} is not supported")
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        y = np.pad(x, widths, mode="constant", constant_values=value)
        centre = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return y, centre

    @staticmethod
    def backward(centre: tuple, gy: Array) -> tuple[Array]:
        return (gy[centre],)


class GetItemBlock(Block):
    r"""Indexing ``y = x[index]``: basic slicing, integers, boolean masks, integer arrays.

    The gradient is scattered back, adding where an element was picked more than once:
    :math:`g_x[j] = \sum_{i : index(i) = j} g_y[i]`.

    Shapes:
        x: ``(*)``; y: as NumPy indexing gives (the :func:`getitem` wrapper gives PyTorch's
        result where they differ); g_x: x's shape.
    """

    saved_inputs = ()                  # saves shapes only
    is_view = True                     # the output may share the input's memory

    @staticmethod
    def view_index(saved: tuple) -> Any:
        """The index this view was taken with: an in-place change of the view is recorded as
        ``x[index] = new value`` on its input (see ``Tensor._inplace``)."""
        return saved[2]

    @staticmethod
    def forward(x: Array, *, index: Any) -> tuple[Array, tuple]:
        try:
            y = x[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor of shape {x.shape})") from None
        return np.asarray(y), (x.shape, x.dtype, index)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        shape, dtype, index = saved
        gx = np.zeros(shape, dtype=gy.dtype)                    # x.shape
        if _picks_once(index):
            gx[index] = gy                             # no element is picked twice
        else:
            np.add.at(gx, index, gy)                    # repeated indices accumulate
        return (gx,)


def _picks_once(index: Any) -> bool:
    """True for indices that select each element at most once: slices, ints, None, ``...``,
    and a single boolean mask."""
    if isinstance(index, np.ndarray) and index.dtype == np.bool_:
        return True
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items
    )


# ---------------------------------------------------------------------- Tensor-level wrappers


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with a new shape (one dimension may be -1) (:class:`ReshapeBlock`)."""
    return ReshapeBlock.apply(x, shape=_shape_arg(shape))


view = reshape


def permute(x: Any, *dims: Any) -> Tensor:
    """Reorder the axes of ``x`` (:class:`PermuteBlock`)."""
    return PermuteBlock.apply(x, dims=_shape_arg(dims))


def transpose(x: Any, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two axes (the last two by default) (:class:`PermuteBlock`)."""
    ndim = np.ndim(getattr(x, "array", x))
    if ndim < 2:
        return PermuteBlock.apply(x, dims=tuple(range(ndim)))
    (a,) = normalize_dims("transpose", dim0, ndim)
    (b,) = normalize_dims("transpose", dim1, ndim)
    dims = list(range(ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return PermuteBlock.apply(x, dims=tuple(dims))


def expand(x: Any, *shape: Any) -> Tensor:
    """Broadcast ``x`` to ``shape`` (-1 keeps a size) (:class:`ExpandBlock`)."""
    return ExpandBlock.apply(x, shape=_shape_arg(shape))


broadcast_to = expand


def squeeze(x: Any, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Remove axes of length 1 (:class:`SqueezeBlock`)."""
    return SqueezeBlock.apply(x, dim=dim)


def unsqueeze(x: Any, dim: int) -> Tensor:
    """Insert an axis of length 1 (:class:`UnsqueezeBlock`)."""
    return UnsqueezeBlock.apply(x, dim=dim)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Concatenate along ``dim`` (:class:`ConcatenateBlock`)."""
    return ConcatenateBlock.apply(*tensors, dim=dim)


concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Stack along a new axis ``dim`` (:class:`StackBlock`)."""
    return StackBlock.apply(*tensors, dim=dim)


def split(x: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Split into chunks of ``split_size`` (the last may be smaller) or of the given sizes,
    as ``torch.split`` (:class:`SplitBlock`)."""
    shape = np.shape(getattr(x, "array", x))
    (axis,) = normalize_dims("split", dim, len(shape))
    n = shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = tuple(min(step, n - i) for i in range(0, n, step))
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
    out = SplitBlock.apply(x, sizes=sizes, dim=dim)
    return out if isinstance(out, tuple) else (out,)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` along ``dim`` (the last may be
    smaller, and fewer pieces come back when ``n`` is small), as ``torch.chunk``."""
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    shape = np.shape(getattr(x, "array", x))
    (axis,) = normalize_dims("chunk", dim, len(shape))
    size = -(-shape[axis] // int(chunks))                        # ceil
    return split(x, max(size, 1), dim)


def pad(x: Any, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding, last axis first, as ``torch.nn.functional.pad`` (:class:`PadBlock`)."""
    return PadBlock.apply(x, pad=tuple(int(p) for p in pad), value=value)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one, as ``torch.flatten`` (a
    :class:`ReshapeBlock`)."""
    shape = np.shape(getattr(x, "array", x))
    if not shape:
        return ReshapeBlock.apply(x, shape=(1,))
    start = start_dim % len(shape)
    end = end_dim % len(shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = math.prod(shape[start:end + 1])
    return ReshapeBlock.apply(x, shape=shape[:start] + (merged,) + shape[end + 1:])


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with scatter-add gradients (:class:`GetItemBlock`), with PyTorch's semantics.

    NumPy and PyTorch differ in one case: integers mixed with index arrays. NumPy treats the
    integers as index arrays too (``x[0, :, [0]]`` has shape ``(1, n)``); PyTorch first removes
    the integer axes, then applies the arrays (shape ``(n, 1)``). We follow PyTorch by applying
    the integers in a first :class:`GetItemBlock` and the rest in a second.
    """
    index = unwrap_index(index)
    first, rest = _integers_first(index)
    if first is not None:
        x = GetItemBlock.apply(x, index=first)
        index = rest
    return GetItemBlock.apply(x, index=index)


def _is_int(i: Any) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _integers_first(index: Any) -> tuple[Any, Any]:
    """Split a tuple index mixing integers and arrays into (integers, everything else).

    Returns ``(None, index)`` when no split is needed (NumPy and PyTorch agree).
    """
    if not isinstance(index, tuple):
        return None, index
    has_array = any(isinstance(i, np.ndarray) and i.ndim > 0 for i in index)
    if not has_array or not any(_is_int(i) for i in index):
        return None, index
    first, rest = [], []
    for i in index:
        if _is_int(i):
            first.append(i)                                    # removes its axis
        elif i is None:
            rest.append(i)                                     # consumes no axis
        elif i is Ellipsis:
            first.append(i)
            rest.append(i)
        else:                                                  # slice or array
            consumed = i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1
            first.extend([slice(None)] * consumed)
            rest.append(i)
    return tuple(first), tuple(rest)
