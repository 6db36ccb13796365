"""The one mode switch of nnblocks: whether blocks record the graph for backpropagation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when blocks applied now are recorded for backpropagation."""
    return _grad_enabled


def set_grad_enabled(mode: bool) -> None:
    """Turn graph recording on or off globally (prefer the :class:`no_grad` context)."""
    global _grad_enabled
    _grad_enabled = bool(mode)


class no_grad:  # noqa: N801 - the name users know from PyTorch
    """Context manager (and decorator, with or without parentheses) in which no graph is recorded.

    Blocks still compute their outputs, but the outputs have ``requires_grad=False`` and nothing is
    saved for a backward pass: use it for evaluation and for optimizer updates.

    >>> import nnblocks as nb
    >>> x = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> with nb.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        # ``@no_grad`` without parentheses decorates ``fn`` directly, as in PyTorch
        self = super().__new__(cls)
        return self if fn is None else self(fn)

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        set_grad_enabled(False)

    def __exit__(self, *exc: object) -> None:
        set_grad_enabled(self._previous)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        mode = type(self)                                  # no_grad or enable_grad

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801
    """Context manager that turns recording back on inside a :class:`no_grad` region."""

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        set_grad_enabled(True)
