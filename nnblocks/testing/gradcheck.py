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
from nnblocks.core import Tensor, enable_grad

#: inputs with at most this many elements get a full-Jacobian check
FULL_JACOBIAN_MAX = 400
#: when a random-direction check fails, inputs up to this size are probed element by element
#: to report the worst element
LOCATE_MAX = 20_000


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree."""


def _as_outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and np.issubdtype(o.dtype, np.floating)]


def _block_names(outs: Sequence[Tensor]) -> str:
    """Names of the blocks recorded in the graph of ``outs``, outputs' blocks first."""
    names: list[str] = []
    seen: set = set()
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    while stack:
        node = stack.pop(0)
        if node in seen:
            continue
        seen.add(node)
        if node.block.label() not in names:
            names.append(node.block.label())
        stack.extend(x.grad_fn for x in node.inputs if x is not None and x.grad_fn is not None)
    return ", ".join(names) or "<no block recorded>"


def _evaluate(fn: Callable[..., Any], inputs: Sequence[Any]) -> np.ndarray:
    outs = _as_outputs(fn(*inputs))
    if not outs:
        return np.zeros(0)
    return np.concatenate([o.array.astype(np.float64).ravel() for o in outs])


def _vjp(fn: Callable[..., Any], inputs: Sequence[Any], targets: Sequence[int],
         u: np.ndarray) -> tuple[list[np.ndarray], str]:
    """Backward pass: :math:`J^\\top u` for each input in ``targets``."""
    for i in targets:
        inputs[i].grad = None
    outs = _as_outputs(fn(*inputs))
    total = None
    offset = 0
    for o in outs:
        piece = u[offset:offset + o.numel()].reshape(o.shape)
        offset += o.numel()
        if not o.requires_grad:
            continue
        term = (o * Tensor(piece.astype(o.dtype))).sum()
        total = term if total is None else total + term
    names = _block_names(outs)
    if total is not None:
        total.backward()
    grads = [
        inputs[i].grad.array.astype(np.float64) if inputs[i].grad is not None
        else np.zeros(inputs[i].shape) for i in targets
    ]
    return grads, names


def _numerical_jvp(fn: Callable[..., Any], inputs: Sequence[Any], i: int, v: np.ndarray,
                   eps: float) -> np.ndarray:
    x = inputs[i]
    original = x.array.copy()
    try:
        x.array = original + eps * v
        plus = _evaluate(fn, inputs)
        x.array = original - eps * v
        minus = _evaluate(fn, inputs)
    finally:
        x.array = original
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
    input_names: Sequence[str] | None = None,
) -> bool:
    """Check the gradients of ``fn`` w.r.t. every input that requires grad.

    Args:
        fn: maps the inputs to a tensor (or a tuple of tensors).
        inputs: tensors (float64 recommended; others are converted) and constants.
        eps: finite-difference step.
        atol, rtol: the check passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        n_directions: random directions per input when the input is too large for a full
            Jacobian.
        full_jacobian_max: inputs with more elements (or outputs with more than 4 times as
            many) are checked along random directions instead of through the full Jacobian.
        rng: generator for the random directions.
        input_names: a label per input for error messages (``check_module`` passes parameter
            names); inputs are called ``input <index>`` otherwise.

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the block(s), the input index and the worst element.
        ValueError: no input requires grad, or ``fn`` has no floating-point output (integer or
            boolean results would make the check vacuous).

    >>> import nnblocks as nb
    >>> x = nb.tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> nb.testing.gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    rng = get_rng(rng)
    inputs = [
        Tensor(x.array.astype(np.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64 else x
        for x in inputs
    ]
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad")
    with enable_grad():                               # a caller's no_grad() must not hide graphs
        m = _evaluate(fn, inputs).size
        if m == 0:                                    # nothing to compare: not a passed check
            raise ValueError("gradcheck: fn returned no floating-point tensor to differentiate")
        full = m <= 4 * full_jacobian_max
        small = [pos for pos, i in enumerate(targets)
                 if full and inputs[i].numel() <= full_jacobian_max]
        if small:
            jacobians, names = _analytic_jacobians(fn, inputs, targets, m)
        for pos, i in enumerate(targets):
            label = f"input {i}" if input_names is None else f"input {i} ({input_names[i]})"
            if pos in small:
                _check_full(fn, inputs, i, label, jacobians[pos], names, eps, atol, rtol)
            else:
                _check_directions(fn, inputs, targets, pos, label, m, eps, atol, rtol,
                                  n_directions, rng)
    return True


def _analytic_jacobians(fn: Callable[..., Any], inputs: Sequence[Any], targets: Sequence[int],
                        m: int) -> tuple[list[np.ndarray], str]:
    """The Jacobian of every target, row j from one backward pass with u = e_j."""
    jacobians = [np.empty((m, inputs[i].numel())) for i in targets]
    names = ""
    for j in range(m):
        u = np.zeros(m)
        u[j] = 1.0
        grads, names = _vjp(fn, inputs, targets, u)
        for jacobian, g in zip(jacobians, grads):
            jacobian[j] = g.ravel()
    return jacobians, names


def _check_full(fn, inputs, i, label, analytic, names, eps, atol, rtol) -> None:
    """Compare the analytic Jacobian of input ``i`` with central differences, element-wise."""
    x = inputs[i]
    numeric = np.empty_like(analytic)                     # J, column by column
    for k in range(x.numel()):
        v = np.zeros(x.numel())
        v[k] = 1.0
        numeric[:, k] = _numerical_jvp(fn, inputs, i, v.reshape(x.shape), eps)
    bad = _failures(analytic, numeric, atol, rtol)
    if bad is None:
        return
    j, k = bad
    n_bad = int(np.sum(~_within(analytic, numeric, atol, rtol)))
    raise GradcheckError(
        f"gradcheck failed for block(s) {names}, {label} of shape {x.shape} "
        f"(Jacobian: {n_bad} of {analytic.size} elements out of tolerance); "
        f"worst element {_index(k, x.shape)} (output element {j}): "
        + _describe(analytic[j, k], numeric[j, k], atol, rtol)
    )


def _check_directions(fn, inputs, targets, pos, label, m, eps, atol, rtol, n, rng) -> None:
    """Random directions: <J^T u, v> from backward vs <u, J v> from differences."""
    i = targets[pos]
    x = inputs[i]
    for d in range(n):
        u = rng.standard_normal(m)
        v = rng.standard_normal(x.shape)
        grads, names = _vjp(fn, inputs, targets, u)
        lhs = float(u @ _numerical_jvp(fn, inputs, i, v, eps))       # <u, J v>
        rhs = float(np.sum(grads[pos] * v))                          # <J^T u, v>
        if _within(np.array(rhs), np.array(lhs), atol, rtol):
            continue
        raise GradcheckError(
            f"gradcheck failed for block(s) {names}, {label} of shape {x.shape} "
            f"(random direction {d}: <J^T u, v> vs <u, J v>: {_describe(rhs, lhs, atol, rtol)}); "
            + _locate(fn, inputs, i, u, grads[pos], eps, rtol)
        )


def _locate(fn, inputs, i, u, analytic, eps, rtol) -> str:
    """The worst element of J^T u, by differences element by element (small inputs only)."""
    x = inputs[i]
    if x.numel() > LOCATE_MAX:
        return f"input too large to locate the worst element ({x.numel()} > {LOCATE_MAX})"
    numeric = np.empty(x.numel())
    for k in range(x.numel()):
        v = np.zeros(x.numel())
        v[k] = 1.0
        numeric[k] = u @ _numerical_jvp(fn, inputs, i, v.reshape(x.shape), eps)
    a = analytic.ravel()
    with np.errstate(invalid="ignore"):
        excess = np.abs(a - numeric) - rtol * np.abs(numeric)
    k = int(np.argmax(np.where(np.isnan(excess), np.inf, excess)))
    return (f"worst element {_index(k, x.shape)} of J^T u: analytic {a[k]:.8g}, "
            f"numerical {numeric[k]:.8g}")


def _within(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """``|a - n| <= atol + rtol |n|`` element-wise; False where either side is NaN."""
    with np.errstate(invalid="ignore"):                   # inf - inf: a failure, not a warning
        return np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)


def _describe(analytic: float, numeric: float, atol: float, rtol: float) -> str:
    with np.errstate(invalid="ignore"):
        err = abs(analytic - numeric)
    bound = atol + rtol * abs(numeric)
    return (f"analytic {analytic:.8g}, numerical {numeric:.8g}, |diff| {err:.3g} > "
            f"atol + rtol*|numerical| = {bound:.3g}")


def _failures(analytic: np.ndarray, numeric: np.ndarray, atol: float,
              rtol: float) -> tuple[int, ...] | None:
    """Index of the worst violation of ``|a - n| <= atol + rtol |n|`` (NaN counts), or None."""
    ok = _within(analytic, numeric, atol, rtol)
    if ok.all():
        return None
    with np.errstate(invalid="ignore"):
        err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    excess = np.where(ok, -np.inf, np.where(np.isnan(err), np.inf, err))
    return tuple(int(w) for w in np.unravel_index(np.argmax(excess), err.shape))


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(w) for w in np.unravel_index(flat, shape)) if shape else ()
