"""The one mode switch of nnblocks: whether blocks record the graph for backpropagation.

The mode is per thread (and per ``asyncio`` task): it lives in a :class:`contextvars.ContextVar`,
as PyTorch's and Chainer's grad mode is thread-local. ``no_grad()`` in one thread (an
evaluation thread, a data-loading thread) never turns off recording in another, and every new
thread starts with recording on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

#: whether blocks applied in the current thread / context record the graph
GRAD_ENABLED: ContextVar[bool] = ContextVar("nnblocks_grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True when blocks applied now (in this thread) are recorded for backpropagation."""
    return GRAD_ENABLED.get()


class set_grad_enabled:  # noqa: N801 - the name users know from PyTorch
    """Turn graph recording on or off in this thread: as a call (stays until changed) or, as in
    PyTorch, as a context manager that restores the previous mode on exit.

    >>> import nnblocks as nb
    >>> with nb.set_grad_enabled(False):
    ...     nb.is_grad_enabled()
    False
    >>> nb.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        self._previous = GRAD_ENABLED.get()
        GRAD_ENABLED.set(bool(mode))

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED.set(self._previous)


class no_grad:  # noqa: N801 - the name users know from PyTorch
    """Context manager (and decorator, with or without parentheses) in which no graph is recorded.

    Blocks still compute their outputs, but the outputs have ``requires_grad=False`` and nothing is
    saved for a backward pass: use it for evaluation and for optimizer updates. It applies to the
    current thread only.

    >>> import nnblocks as nb
    >>> x = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> with nb.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        # ``@no_grad`` without parentheses decorates ``fn`` directly, as in PyTorch
        self = super().__new__(cls)
        return self if fn is None else self(fn)

    def __enter__(self) -> None:
        self._token = GRAD_ENABLED.set(self._mode)

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED.reset(self._token)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        mode = type(self)                                  # no_grad or enable_grad

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801
    """Context manager that turns recording back on inside a :class:`no_grad` region."""

    _mode = True


class inference_mode:  # noqa: N801 - the name users know from PyTorch
    """``torch.inference_mode(mode=True)``: in nnblocks the same as :class:`no_grad` (no graph
    is recorded; PyTorch additionally skips version counting, a speed detail), and with
    ``mode=False`` a no-op. A context manager and a decorator, with or without parentheses.

    >>> import nnblocks as nb
    >>> @nb.inference_mode()
    ... def predict(x):
    ...     return x * 2
    >>> predict(nb.tensor([1.0], requires_grad=True)).requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):                                 # @inference_mode without parentheses
            return inference_mode(True)(mode)
        self = super().__new__(cls)
        self._mode = bool(mode)
        return self

    def __enter__(self) -> None:
        if self._mode:
            self._tokens = (GRAD_ENABLED.set(False), _INFERENCE.set(True))
        else:
            self._tokens = None

    def __exit__(self, *exc: object) -> None:
        if self._tokens is not None:
            GRAD_ENABLED.reset(self._tokens[0])
            _INFERENCE.reset(self._tokens[1])

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """Whether the current thread is inside :class:`inference_mode`."""
    return _INFERENCE.get()


_INFERENCE: ContextVar[bool] = ContextVar("nnblocks_inference_mode", default=False)
