"""Gradient checking against central finite differences, in float64.

For ``f: R^n -> R^m`` with Jacobian :math:`J`, backpropagation computes :math:`J^\\top u` for a
cotangent :math:`u`. Central differences estimate directional derivatives

.. math::
    J v \\approx \\frac{f(x + \\epsilon v) - f(x - \\epsilon v)}{2 \\epsilon}

with error :math:`O(\\epsilon^2)`. For small inputs the whole Jacobian is built column by column
(``v`` = unit vectors) and compared element by element with the rows :math:`J^\\top e_j` from
backward; for large inputs random directions are compared through the identity
:math:`\\langle u, J v \\rangle = \\langle J^\\top u, v \\rangle`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor

#: inputs with at most this many elements get a full-Jacobian check
FULL_JACOBIAN_MAX = 400


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree."""


def _as_outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and np.issubdtype(o.dtype, np.floating)]


def _block_names(outs: Sequence[Tensor]) -> str:
    names = sorted({o.grad_fn.block.__name__ for o in outs if o.grad_fn is not None})
    return ", ".join(names) or "<no block recorded>"


def _evaluate(fn: Callable[..., Any], inputs: Sequence[Any]) -> np.ndarray:
    outs = _as_outputs(fn(*inputs))
    return np.concatenate([o.data.astype(np.float64).ravel() for o in outs])


def _vjp(fn: Callable[..., Any], inputs: Sequence[Any], targets: Sequence[int],
         u: np.ndarray) -> tuple[list[np.ndarray], str]:
    """Backward pass: :math:`J^\\top u` for each input in ``targets``."""
    for i in targets:
        inputs[i].grad = None
    outs = _as_outputs(fn(*inputs))
    total = None
    offset = 0
    for o in outs:
        piece = u[offset:offset + o.size].reshape(o.shape)
        offset += o.size
        if not o.requires_grad:
            continue
        term = (o * Tensor(piece.astype(o.dtype))).sum()
        total = term if total is None else total + term
    names = _block_names(outs)
    if total is not None:
        total.backward()
    grads = [
        inputs[i].grad.astype(np.float64) if inputs[i].grad is not None
        else np.zeros(inputs[i].shape) for i in targets
    ]
    return grads, names


def _numerical_jvp(fn: Callable[..., Any], inputs: Sequence[Any], i: int, v: np.ndarray,
                   eps: float) -> np.ndarray:
    x = inputs[i]
    original = x.data.copy()
    try:
        x.data = original + eps * v
        plus = _evaluate(fn, inputs)
        x.data = original - eps * v
        minus = _evaluate(fn, inputs)
    finally:
        x.data = original
    return (plus - minus) / (2 * eps)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    n_directions: int = 4,
    full_jacobian_max: int = FULL_JACOBIAN_MAX,
    rng: np.random.Generator | None = None,
) -> bool:
    """Check the gradients of ``fn`` w.r.t. every input that requires grad.

    Args:
        fn: maps the inputs to a tensor (or a tuple of tensors).
        inputs: tensors (float64 recommended; others are converted) and constants.
        eps: finite-difference step.
        atol, rtol: the check passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        n_directions: random directions per input when the input is too large for a full
            Jacobian.
        rng: generator for the random directions.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the block(s), the input index and the worst element.

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> nb.testing.gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    rng = get_rng(rng)
    inputs = [
        Tensor(x.data.astype(np.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64 else x
        for x in inputs
    ]
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad")
    y0 = _evaluate(fn, inputs)
    m = y0.size
    for pos, i in enumerate(targets):
        x = inputs[i]
        if x.size <= full_jacobian_max and m <= 4 * full_jacobian_max:
            _check_full(fn, inputs, targets, pos, i, m, eps, atol, rtol)
        else:
            _check_directions(fn, inputs, targets, pos, i, m, eps, atol, rtol, n_directions, rng)
    return True


def _check_full(fn, inputs, targets, pos, i, m, eps, atol, rtol) -> None:
    x = inputs[i]
    numeric = np.empty((m, x.size))                       # J, column by column
    for k in range(x.size):
        v = np.zeros(x.size)
        v[k] = 1.0
        numeric[:, k] = _numerical_jvp(fn, inputs, i, v.reshape(x.shape), eps)
    analytic = np.empty((m, x.size))                      # J, row by row from backward
    names = ""
    for j in range(m):
        u = np.zeros(m)
        u[j] = 1.0
        grads, names = _vjp(fn, inputs, targets, u)
        analytic[j] = grads[pos].ravel()
    _compare(analytic, numeric, atol, rtol, names, i, x.shape, "Jacobian")


def _check_directions(fn, inputs, targets, pos, i, m, eps, atol, rtol, n, rng) -> None:
    x = inputs[i]
    names = ""
    for _ in range(n):
        u = rng.standard_normal(m)
        v = rng.standard_normal(x.shape)
        grads, names = _vjp(fn, inputs, targets, u)
        lhs = np.array([float(u @ _numerical_jvp(fn, inputs, i, v, eps))])   # <u, J v>
        rhs = np.array([float(np.sum(grads[pos] * v))])                      # <J^T u, v>
        _compare(rhs, lhs, atol, rtol, names, i, x.shape, "<J^T u, v> vs <u, J v>")


def _compare(analytic, numeric, atol, rtol, names, i, shape, what) -> None:
    err = np.abs(analytic - numeric)
    bound = atol + rtol * np.abs(numeric)
    bad = err > bound
    if bad.any() or not np.all(np.isfinite(analytic)):
        worst = np.unravel_index(np.argmax(np.where(np.isfinite(err), err - bound, np.inf)),
                                 err.shape)
        raise GradcheckError(
            f"gradcheck failed for block(s) {names}, input {i} of shape {shape} ({what}): "
            f"worst element {tuple(int(w) for w in worst)}: analytic {analytic[worst]:.8g}, "
            f"numerical {numeric[worst]:.8g}, |diff| {err[worst]:.3g} > "
            f"atol + rtol*|numerical| = {bound[worst]:.3g}; {int(bad.sum())} of {bad.size} "
            "elements out of tolerance"
        )
