r"""Activation blocks: the non-linearities between affine layers, and softmax.

Each is element-wise (except :class:`SoftmaxBlock`, :class:`LogSoftmaxBlock` and
:class:`MaxoutBlock`, which act along one axis), keeps the dtype of its input, and follows
PyTorch's definition, including the value of the derivative at kinks (ReLU, LeakyReLU and ELU at
0 take the left-hand slope).

The lecture's activations: sigmoid, tanh, maxout :math:`\max(w_1^\top x + b_1, w_2^\top x + b_2)`,
ReLU :math:`\max(0, x)`, ELU; plus LeakyReLU, Softplus and GELU.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from nnblocks import kernels
from nnblocks.core import Block, Tensor
from nnblocks.functional.reduce import normalize_dims
from nnblocks.kernels import elementwise as kernel_elementwise

Array = np.ndarray


class SigmoidBlock(Block):
    r"""Element-wise logistic sigmoid.

    .. math::
        y = \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad g_x = g_y \odot y \odot (1 - y)

    Shapes:
        x: ``(*)``; y, g_y, g_x have the shape and dtype of x.

    Numerics:
        Computed from :math:`e^{-|x|} \in (0, 1]`, so it never overflows for large :math:`|x|`.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, tuple[Array]]:
        e = np.exp(-np.abs(x))                                   # (*)
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))     # (*)
        return y, (y,)                         # backward needs only the output

    @staticmethod
    def backward(saved: tuple[Array], gy: Array) -> tuple[Array]:
        (y,) = saved
        return (gy * y * (1.0 - y),)                             # (*)


class TanhBlock(Block):
    r"""Element-wise hyperbolic tangent.

    .. math::
        y = \tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad g_x = g_y \odot (1 - y^2)

    Shapes:
        x: ``(*)``; y, g_x: like x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        y = np.tanh(x)                                           # (*)
        return y, y

    @staticmethod
    def backward(y: Array, gy: Array) -> tuple[Array]:
        return (gy * (1.0 - y * y),)                             # (*)


class ReLUBlock(Block):
    r"""Rectified linear unit.

    .. math::
        y = \max(0, x), \qquad g_x = g_y \odot [x > 0]

    (the derivative at 0 is taken as 0, as PyTorch does).

    Shapes:
        x: ``(*)``; y, g_x: like x.
    """

    @staticmethod
    def forward(x: Array) -> tuple[Array, Array]:
        if kernels.numba_enabled() and kernel_elementwise.supported(x):
            return kernel_elementwise.relu_forward(x)            # the same, in one pass
        positive = x > 0                                         # (*) bool
        return np.maximum(x, 0.0), positive                     # NaN stays NaN, as in PyTorch

    @staticmethod
    def backward(positive: Array, gy: Array) -> tuple[Array]:
        if kernels.numba_enabled() and kernel_elementwise.supported(gy):
            return (kernel_elementwise.relu_backward(positive, gy),)
        return (gy * positive,)                                  # (*)


class LeakyReLUBlock(Block):
    r"""ReLU with a small slope :math:`a` (``negative_slope``) for negative inputs.

    .. math::
        y = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}, \qquad
        g_x = g_y \odot \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}

    Shapes:
        x: ``(*)``; y, g_x: like x.
    """

    @staticmethod
    def forward(x: Array, *, negative_slope: float = 0.01) -> tuple[Array, tuple]:
        a = float(negative_slope)
        positive = x > 0                                         # (*) bool
        return np.where(positive, x, a * x), (positive, a)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        positive, a = saved
        return (np.where(positive, gy, a * gy),)                 # (*)


class ELUBlock(Block):
    r"""Exponential linear unit (Clevert et al. 2016), PyTorch's definition.

    .. math::
        y = \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}, \qquad
        g_x = g_y \odot \begin{cases} 1 & x > 0 \\ \alpha e^x = y + \alpha & x \le 0 \end{cases}

    Shapes:
        x: ``(*)``; y, g_x: like x.

    Numerics:
        :math:`e^x - 1` is computed with ``expm1`` (exact for small :math:`|x|`), and only on
        :math:`\min(x, 0)`, so large positive inputs never overflow.
    """

    @staticmethod
    def forward(x: Array, *, alpha: float = 1.0) -> tuple[Array, tuple]:
        alpha = float(alpha)
        positive = x > 0                                         # (*) bool
        y = np.where(positive, x, alpha * np.expm1(np.minimum(x, 0.0)))   # (*)
        return y, (positive, y, alpha)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        positive, y, alpha = saved
        return (np.where(positive, gy, gy * (y + alpha)),)       # (*)


class SoftplusBlock(Block):
    r"""Smooth ReLU; PyTorch's definition with ``beta`` :math:`\beta`, ``threshold`` :math:`\tau`.

    .. math::
        y = \begin{cases} \tfrac1\beta \ln(1 + e^{\beta x}) & \beta x \le \tau \\
                          x & \beta x > \tau \end{cases}, \qquad
        g_x = g_y \odot \begin{cases} \sigma(\beta x) & \beta x \le \tau \\ 1 & \beta x > \tau
              \end{cases}

    Shapes:
        x: ``(*)``; y, g_x: like x.

    Numerics:
        :math:`\ln(1 + e^{z}) = \max(z, 0) + \ln(1 + e^{-|z|})`, which never overflows whatever
        the threshold.
    """

    @staticmethod
    def forward(x: Array, *, beta: float = 1.0, threshold: float = 20.0) -> tuple[Array, tuple]:
        beta = float(beta)
        z = beta * x                                             # (*)
        linear = z > threshold                                   # (*) bool
        soft = (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))) / beta   # (*)
        return np.where(linear, x, soft), (z, linear)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        z, linear = saved
        s, _ = SigmoidBlock.forward(z)                                # (*) sigma(beta x)
        return (np.where(linear, gy, gy * s),)


# ------------------------------------------------------------------------------------ GELU

_ERF_STEP = 0.25       # width of each piece of the interpolant of erf(t)/t on [0, _ERF_MAX]
_ERF_MAX = 6.0         # erf(t) rounds to 1 in float64 for t >= 6 (erfc(6) = 2.2e-17)
#: polynomial degree per piece, by dtype: max relative error 2e-15 (float64) and 3e-9 (float32)
_ERF_DEGREE = {np.dtype(np.float64): 10, np.dtype(np.float32): 5}


@functools.cache
def _erf_table(degree: int) -> Array:
    r"""Polynomial coefficients of :math:`\operatorname{erf}(t)/t` on each piece of ``[0, 6]``.

    Built once from Python's ``math.erf`` (the C library's, accurate to < 1 ulp) by
    interpolation at Chebyshev points of each piece, then converted to powers of the piece's
    local variable ``u`` in ``[-1, 1]`` for Horner's rule. ``erf(t)/t`` is even and smooth
    (``2/sqrt(pi)`` at 0), so multiplying by ``t`` keeps the relative accuracy for tiny ``t``.
    Row ``j`` holds the coefficient of ``u**j`` of every piece.
    """
    pieces = int(math.ceil(_ERF_MAX / _ERF_STEP))
    table = np.empty((degree + 1, pieces))                       # (degree + 1, pieces)

    def erf_over_t(t: float) -> float:
        return 2.0 / math.sqrt(math.pi) if t == 0.0 else math.erf(t) / t

    for k in range(pieces):
        left = k * _ERF_STEP

        def on_piece(u: Array, left: float = left) -> Array:     # u in [-1, 1]
            return np.array([erf_over_t(left + (v + 1.0) * _ERF_STEP / 2) for v in u])

        chebyshev = np.polynomial.chebyshev.chebinterpolate(on_piece, degree)
        table[:, k] = np.polynomial.chebyshev.cheb2poly(chebyshev)
    return table


def erf(x: Array) -> Array:
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-s^2} ds`
    on an array, in its dtype (NumPy has none).

    Piecewise polynomial interpolation of :math:`\operatorname{erf}(t)/t` on pieces of width
    0.25 (see :func:`_erf_table`), evaluated by Horner's rule; odd symmetry for :math:`x < 0`.
    Accurate to a few ulp in float64 (a lower degree is used for float32).

    >>> import math
    >>> abs(float(erf(np.array(1.0))) - math.erf(1.0)) < 4e-15
    True
    """
    x = np.asarray(x)
    dtype = x.dtype
    table = _erf_table(_ERF_DEGREE.get(dtype, 10)).astype(dtype, copy=False)  # (degree + 1, P)
    t = np.minimum(np.abs(x), _ERF_MAX)                          # (*)
    k = np.minimum((t * (1.0 / _ERF_STEP)).astype(np.intp), table.shape[1] - 1)   # (*) piece
    u = (t - k.astype(dtype) * _ERF_STEP) * (2.0 / _ERF_STEP) - 1.0       # (*) in [-1, 1]
    ratio = table[-1][k]                                         # (*) Horner: erf(t) / t
    for j in range(table.shape[0] - 2, -1, -1):
        ratio *= u
        ratio += table[j][k]
    y = np.where(t < _ERF_MAX, np.minimum(ratio * t, 1.0), 1.0)   # (*) erf(|x|)
    return np.copysign(y, x).astype(dtype, copy=False)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715     # Hendrycks & Gimpel (2016), eq. for the tanh approximation


class GELUBlock(Block):
    r"""Gaussian error linear unit (Hendrycks & Gimpel 2016): :math:`y = x\,\Phi(x)`.

    ``approximate='none'`` (exact, with :math:`\Phi` the standard normal CDF):

    .. math::
        y = \tfrac12 x \left(1 + \operatorname{erf}(x/\sqrt2)\right), \qquad
        g_x = g_y \odot \left(\Phi(x) + x\,\varphi(x)\right), \quad
        \varphi(x) = \tfrac{1}{\sqrt{2\pi}} e^{-x^2/2}

    ``approximate='tanh'``, with :math:`u = \sqrt{2/\pi}\,(x + 0.044715 x^3)`:

    .. math::
        y = \tfrac12 x (1 + \tanh u), \qquad
        g_x = g_y \odot \left(\tfrac12 (1 + \tanh u)
              + \tfrac12 x (1 - \tanh^2 u) \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715 x^2)\right)

    Shapes:
        x: ``(*)``; y, g_x: like x.
    """

    @staticmethod
    def forward(x: Array, *, approximate: str = "none") -> tuple[Array, tuple]:
        if approximate == "none":
            cdf = 0.5 * (1.0 + erf(x * math.sqrt(0.5)))          # (*) Phi(x)
            return x * cdf, (approximate, x, cdf)
        if approximate == "tanh":
            th = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))   # (*)
            return 0.5 * x * (1.0 + th), (approximate, x, th)
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        approximate, x, s = saved
        if approximate == "none":
            pdf = np.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))   # (*) phi(x)
            return (gy * (s + x * pdf),)
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)            # (*) du/dx
        return (gy * (0.5 * (1.0 + s) + 0.5 * x * (1.0 - s * s) * du),)


# ------------------------------------------------------------------------ softmax and maxout


def _one_axis(name: str, dim: int, ndim: int) -> int:
    (axis,) = normalize_dims(name, dim, ndim)
    return axis


class SoftmaxBlock(Block):
    r"""Softmax along ``dim``: a probability vector from scores.

    .. math::
        y_i = \frac{e^{x_i}}{\sum_k e^{x_k}}, \qquad
        g_{x,i} = y_i \Big(g_{y,i} - \sum_k g_{y,k}\, y_k\Big)

    (the Jacobian is :math:`\operatorname{diag}(y) - y y^\top`).

    Shapes:
        x: ``(*)``; y, g_x: like x; the sums run along ``dim``.

    Numerics:
        :math:`x - \max_k x_k` is exponentiated (the result is the same, every exponent is
        :math:`\le 0`), so scores of :math:`\pm 10^4` give exact probabilities, not NaN.
    """

    @staticmethod
    def forward(x: Array, *, dim: int) -> tuple[Array, tuple]:
        axis = _one_axis("softmax", dim, x.ndim)
        e = np.exp(x - x.max(axis=axis, keepdims=True))          # (*) in (0, 1]
        y = e / e.sum(axis=axis, keepdims=True)                  # (*)
        return y, (y, axis)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        y, axis = saved
        return (y * (gy - (gy * y).sum(axis=axis, keepdims=True)),)   # (*)


def log_softmax_array(x: Array, axis: int) -> Array:
    r""":math:`x_i - \log\sum_k e^{x_k}` along ``axis`` on an array, shifted by the maximum so it
    never overflows (shared by :class:`LogSoftmaxBlock` and the cross-entropy loss)."""
    shifted = x - x.max(axis=axis, keepdims=True)                # (*) <= 0
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmaxBlock(Block):
    r"""Logarithm of the softmax along ``dim``, computed without forming the softmax.

    .. math::
        y_i = x_i - \log \sum_k e^{x_k}, \qquad
        g_{x,i} = g_{y,i} - e^{y_i} \sum_k g_{y,k}

    Shapes:
        x: ``(*)``; y, g_x: like x.

    Numerics:
        Log-sum-exp is shifted by :math:`\max_k x_k`; scores of :math:`\pm 10^4` give finite
        log-probabilities (:math:`-2 \cdot 10^4`, not :math:`-\infty`).
    """

    @staticmethod
    def forward(x: Array, *, dim: int) -> tuple[Array, tuple]:
        axis = _one_axis("log_softmax", dim, x.ndim)
        y = log_softmax_array(x, axis)                           # (*)
        return y, (y, axis)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        y, axis = saved
        return (gy - np.exp(y) * gy.sum(axis=axis, keepdims=True),)   # (*)


class MaxoutBlock(Block):
    r"""Maxout activation (Goodfellow et al. 2013): the maximum over an axis of *pieces*.

    A maxout unit takes :math:`k` affine pieces :math:`z_j = w_j^\top x + b_j` and outputs
    :math:`\max_j z_j`; this block is the max, given the pieces along ``dim`` (the fused affine +
    max layer is :class:`~nnblocks.functional.linear.MaxoutLinearBlock`).

    .. math::
        y = \max_j z_j, \qquad g_{z,j} = g_y\,[j = j^*], \quad j^* = \arg\max_j z_j

    Ties send the whole gradient to the first maximal piece (as ``torch.max(z, dim)``).

    Shapes:
        z: ``(*, k, *)`` with the k pieces on ``dim``; y: ``(*, *)`` (``dim`` removed).
    """

    @staticmethod
    def forward(z: Array, *, dim: int = -1) -> tuple[Array, tuple]:
        axis = _one_axis("maxout", dim, z.ndim)
        if z.shape[axis] == 0:
            raise ValueError(f"maxout: no pieces along dim {dim} of shape {z.shape}")
        winner = np.expand_dims(np.argmax(z, axis=axis), axis)   # (*, 1, *)
        y = np.take_along_axis(z, winner, axis=axis)             # (*, 1, *)
        return np.squeeze(y, axis), (winner, axis, z.shape)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array]:
        winner, axis, shape = saved
        gz = np.zeros(shape, dtype=gy.dtype)                     # (*, k, *)
        np.put_along_axis(gz, winner, np.expand_dims(gy, axis), axis=axis)
        return (gz,)


# ---------------------------------------------------------------------- Tensor-level wrappers


def sigmoid(x: Any) -> Tensor:
    """Apply :class:`SigmoidBlock` and record it for backpropagation."""
    return SigmoidBlock.apply(x)


def tanh(x: Any) -> Tensor:
    """Apply :class:`TanhBlock`."""
    return TanhBlock.apply(x)


def relu(x: Any) -> Tensor:
    """Apply :class:`ReLUBlock`: ``max(0, x)``."""
    return ReLUBlock.apply(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """Apply :class:`LeakyReLUBlock`."""
    return LeakyReLUBlock.apply(x, negative_slope=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Apply :class:`ELUBlock`."""
    return ELUBlock.apply(x, alpha=alpha)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Apply :class:`SoftplusBlock`."""
    return SoftplusBlock.apply(x, beta=beta, threshold=threshold)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Apply :class:`GELUBlock` (``approximate='tanh'`` for the tanh approximation)."""
    return GELUBlock.apply(x, approximate=approximate)


def softmax(x: Any, dim: int) -> Tensor:
    """Apply :class:`SoftmaxBlock` along ``dim`` (required: there is no implicit choice).

    >>> import nnblocks as nb
    >>> softmax(nb.tensor([[1e4, 0.0, -1e4]]), dim=1)
    tensor([[1., 0., 0.]])
    """
    return SoftmaxBlock.apply(x, dim=dim)


def log_softmax(x: Any, dim: int) -> Tensor:
    """Apply :class:`LogSoftmaxBlock` along ``dim``."""
    return LogSoftmaxBlock.apply(x, dim=dim)


def maxout(z: Any, dim: int = -1) -> Tensor:
    """The maximum over the pieces axis ``dim`` (:class:`MaxoutBlock`)."""
    return MaxoutBlock.apply(z, dim=dim)
