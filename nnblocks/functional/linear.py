r"""Affine units: the fully connected layer, Rosenblatt's threshold unit, and maxout units.

The artificial neuron of the lecture is :math:`o = \varphi(\sum_i w_i x_i + b)`; a layer of them
is one matrix product. Every block here accepts any number of leading dimensions: they are
flattened into one batch axis so the work is a single GEMM.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor
from nnblocks.kernels import threads as kernel_threads
from nnblocks.kernels.dispatch import Twin, use_compiled

Array = np.ndarray


def _check_features(name: str, x: Array, expected: int, weight: Array) -> None:
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dim (features last), got a scalar")
    if x.shape[-1] != expected:
        raise ValueError(
            f"{name}: input has {x.shape[-1]} features (input shape {x.shape}), "
            f"weight expects {expected} (weight shape {weight.shape})"
        )


def _check_dtype(name: str, x: Array, weight: Array) -> None:
    """Refuse mixed dtypes as PyTorch does, instead of silently promoting the result."""
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{name}: input has dtype {x.dtype} but the weight has dtype {weight.dtype}; "
            "cast the input, or the module with .to(dtype)"
        )


def _check_bias(name: str, bias: Array | None, expected: tuple[int, ...]) -> None:
    if bias is not None and np.shape(bias) != expected:
        raise ValueError(f"{name}: bias has shape {np.shape(bias)}, expected {expected}")


def _matmul(a: Array, b: Array, compiled: bool) -> Array:
    """``a @ b`` (2-D); on the compiled path (:mod:`nnblocks.kernels`) the rows of ``a`` are
    shared among nnblocks' threads instead of BLAS's (same products, no BLAS threads spinning
    against the threads of the compiled kernels)."""
    if compiled:
        return kernel_threads.matmul(a, b)
    return a @ b


class LinearBlock(Block):
    r"""Fully connected layer :math:`y = x W^\top + b` (PyTorch's layout: ``W`` is ``(out, in)``).

    With :math:`X` the inputs flattened to ``(M, in)`` rows (M = product of leading dims):

    .. math::
        Y = X W^\top + \mathbf 1 b^\top, \qquad
        g_X = g_Y W, \qquad g_W = g_Y^\top X, \qquad g_b = \mathbf 1^\top g_Y

    Shapes:
        x: ``(*, in)``; weight: ``(out, in)``; bias: ``(out,)`` or None; y: ``(*, out)``.

    Backward computes only the gradients the engine asks for (``needs_input_grad``): a network's
    first layer gets no :math:`g_X` (its input is data), which saves one of the three GEMMs.
    """

    takes_needs_input_grad = True
    saved_inputs = (0, 1)                     # the bias is not saved
    saved_input_uses = {0: (1,), 1: (0,)}    # x for g_W, W for g_x (as PyTorch saves)
    compiled_twin = Twin(kernel_threads.matmul_supported)      # see nnblocks.kernels.dispatch

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None,
                needs_input_grad: tuple[bool, ...] = (True, True, True)) -> tuple[Array, tuple]:
        if weight.ndim != 2:
            raise ValueError(f"linear: weight must be (out, in), got shape {weight.shape}")
        _check_features("linear", x, weight.shape[1], weight)
        _check_dtype("linear", x, weight)
        _check_bias("linear", bias, weight.shape[:1])
        rows = math.prod(x.shape[:-1])                           # M (explicit: in may be 0)
        x2 = x.reshape(rows, weight.shape[1])                    # (M, in)
        compiled = use_compiled(LinearBlock, x2, weight)
        y = _matmul(x2, weight.T, compiled)                      # (M, out)
        if bias is not None:
            y += bias
        saved = (x2, weight, bias is not None, needs_input_grad, compiled)
        return y.reshape(*x.shape[:-1], weight.shape[0]), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array | None, Array | None, Array | None]:
        x2, weight, has_bias, needs, compiled = saved
        gy2 = gy.reshape(x2.shape[0], weight.shape[0])           # (M, out)
        gx = gw = gb = None
        if needs[0]:
            gx = _matmul(gy2, weight, compiled).reshape(*gy.shape[:-1], weight.shape[1])
        if needs[1]:
            gw = _matmul(gy2.T, x2, compiled)                    # (out, in)
        if has_bias and needs[2]:
            gb = gy2.sum(axis=0)                                 # (out,)
        return gx, gw, gb


class PerceptronBlock(Block):
    r"""Rosenblatt's (1958) threshold unit: fires :math:`+1` when the weighted sum exceeds the
    threshold :math:`\theta`, else :math:`-1`.

    .. math::
        y = \begin{cases} +1 & w^\top x + b > \theta \\ -1 & \text{otherwise} \end{cases}

    The step has zero derivative almost everywhere, so the block records no gradient
    (``differentiable = False``); it is trained by Rosenblatt's error-correction rule instead
    (:class:`nnblocks.nn.Perceptron`).

    Shapes:
        x: ``(*, D)``; weight: ``(D,)``; bias: ``()`` or None; y: ``(*)`` in the dtype of x.
    """

    differentiable = False

    @staticmethod
    def forward(
        x: Array, weight: Array, bias: Array | None = None, *, threshold: float = 0.0
    ) -> tuple[Array, None]:
        if weight.ndim != 1:
            raise ValueError(f"perceptron: weight must be (D,), got shape {weight.shape}")
        _check_features("perceptron", x, weight.shape[0], weight)
        _check_bias("perceptron", bias, ())
        a = x @ weight                                           # (*) activation
        if bias is not None:
            a = a + bias
        y = np.where(a > threshold, 1.0, -1.0).astype(x.dtype)   # (*)
        return y, None

    @staticmethod
    def backward(saved: None, gy: Array) -> tuple[None, None, None]:
        return None, None, None


class MaxoutLinearBlock(Block):
    r"""A layer of maxout units (Goodfellow et al. 2013), fused: ``out`` units, each the
    maximum of ``k`` affine pieces of the same input.

    .. math::
        z_{oj} = w_{oj}^\top x + b_{oj}, \qquad y_o = \max_{j} z_{oj}

    Only the winning piece :math:`j^*_o` of each unit passes the gradient: with
    :math:`G_{oj} = g_{y,o} [j = j^*_o]` (rows flattened to ``(M, out k)``),

    .. math::
        g_X = G\,W, \qquad g_W = G^\top X, \qquad g_b = \mathbf 1^\top G

    Weight layout: ``weight[o, j]`` is the weight vector of piece ``j`` of unit ``o``, i.e.
    ``(out, k, in)``; ``bias[o, j]`` likewise ``(out, k)``. ``weight.reshape(out * k, in)`` is the
    weight of an equivalent :class:`LinearBlock` whose outputs ``o * k + j`` are grouped by unit.

    Shapes:
        x: ``(*, in)``; weight: ``(out, k, in)``; bias: ``(out, k)`` or None; y: ``(*, out)``.
    """

    @staticmethod
    def forward(x: Array, weight: Array, bias: Array | None = None) -> tuple[Array, tuple]:
        if weight.ndim != 3:
            raise ValueError(f"maxout_linear: weight must be (out, k, in), got {weight.shape}")
        out, k, d = weight.shape
        _check_features("maxout_linear", x, d, weight)
        _check_dtype("maxout_linear", x, weight)
        _check_bias("maxout_linear", bias, (out, k))
        x2 = x.reshape(-1, d)                                    # (M, in)
        w2 = weight.reshape(out * k, d)                          # (out k, in)
        z = (x2 @ w2.T).reshape(-1, out, k)                      # (M, out, k)
        if bias is not None:
            z += bias
        winner = np.argmax(z, axis=2)[:, :, None]                # (M, out, 1)
        y = np.take_along_axis(z, winner, axis=2)[:, :, 0]       # (M, out)
        saved = (x2, weight, winner, bias is not None)
        return y.reshape(*x.shape[:-1], out), saved

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, Array, Array | None]:
        x2, weight, winner, has_bias = saved
        out, k, d = weight.shape
        gz = np.zeros((x2.shape[0], out, k), dtype=gy.dtype)     # (M, out, k)
        np.put_along_axis(gz, winner, gy.reshape(-1, out, 1), axis=2)
        gz2 = gz.reshape(-1, out * k)                            # (M, out k)
        gx = (gz2 @ weight.reshape(out * k, d)).reshape(*gy.shape[:-1], d)   # (*, in)
        gw = (gz2.T @ x2).reshape(out, k, d)                     # (out, k, in)
        gb = gz.sum(axis=0) if has_bias else None                # (out, k)
        return gx, gw, gb


# ---------------------------------------------------------------------- Tensor-level wrappers


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """:math:`x W^\\top + b` over any leading dims (:class:`LinearBlock`).

    >>> import nnblocks as nb
    >>> linear(nb.tensor([[1.0, 2.0]]), nb.tensor([[1.0, 1.0], [0.0, 1.0]]), nb.tensor([0.5, 0.0]))
    tensor([[3.5, 2. ]])
    """
    return LinearBlock.apply(x, weight, bias)


def perceptron(x: Any, weight: Any, bias: Any = None, threshold: float = 0.0) -> Tensor:
    """Rosenblatt's threshold unit: ±1 outputs, no gradient (:class:`PerceptronBlock`)."""
    return PerceptronBlock.apply(x, weight, bias, threshold=threshold)


def maxout_linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """A layer of maxout units: ``max_j (x w_oj + b_oj)`` (:class:`MaxoutLinearBlock`)."""
    return MaxoutLinearBlock.apply(x, weight, bias)
