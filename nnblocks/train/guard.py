"""The NaN/inf guard: stop at the first non-finite loss or gradient, naming where it appeared."""

from __future__ import annotations

from typing import Any

import numpy as np


class NonFiniteError(FloatingPointError):
    """Training produced a NaN or infinity; the message names the step and the parameter."""


def first_nonfinite(named_arrays: Any) -> str | None:
    """Name of the first ``(name, array)`` whose array holds a NaN or an infinity, else None."""
    for name, array in named_arrays:
        if array is not None and not np.isfinite(array).all():
            return name
    return None


def check_loss(loss: Any, model: Any, where: str) -> None:
    """Raise :class:`NonFiniteError` if ``loss`` is not finite, naming the first bad parameter."""
    value = np.asarray(loss.array if hasattr(loss, "array") else loss)
    if np.isfinite(value).all():
        return
    bad = first_nonfinite((n, p.array) for n, p in model.named_parameters())
    if bad is not None:
        cause = f"first non-finite parameter: '{bad}'"
    else:
        cause = (f"all parameters are finite ({_largest(model)}); look at the input batch, "
                 "the loss, or a learning rate so large that the forward pass overflows")
    raise NonFiniteError(f"non-finite loss ({value.ravel()[0]}) at {where}; {cause}")


def _largest(model: Any) -> str:
    """Where the largest parameter magnitude is: ``largest |value| 3.1e+38 in 'fc.weight'``."""
    name, value = None, -1.0
    for n, p in model.named_parameters():
        if p.array.size and float(np.abs(p.array).max()) > value:
            name, value = n, float(np.abs(p.array).max())
    return "no parameters" if name is None else f"largest |value| {value:.3g} in '{name}'"


def check_gradients(model: Any, where: str) -> None:
    """Raise :class:`NonFiniteError` naming the first parameter whose gradient is not finite."""
    bad = first_nonfinite((n, None if p.grad is None else p.grad.array)
                          for n, p in model.named_parameters())
    if bad is not None:
        raise NonFiniteError(f"non-finite gradient at {where} in parameter '{bad}'")


def check_parameters(model: Any, where: str) -> None:
    """Raise :class:`NonFiniteError` naming the first parameter that an update made non-finite
    (finite gradients can still overflow a parameter, e.g. with a huge learning rate)."""
    bad = first_nonfinite((n, p.array) for n, p in model.named_parameters())
    if bad is not None:
        raise NonFiniteError(f"non-finite parameter '{bad}' after the update at {where}")
