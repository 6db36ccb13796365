"""no_grad / enable_grad / set_grad_enabled: the one mode switch."""

from __future__ import annotations

import pytest

import nnblocks as nb
from tests.conftest import import_torch


@pytest.fixture
def x():
    return nb.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context_records_nothing(x):
    with nb.no_grad():
        assert not nb.is_grad_enabled()
        y = x * 2.0
    assert nb.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2.0).requires_grad


def test_no_grad_restores_the_mode_after_an_exception(x):
    with pytest.raises(KeyError), nb.no_grad():
        raise KeyError("inside no_grad")
    assert nb.is_grad_enabled()


def test_nested_no_grad_and_enable_grad(x):
    with nb.no_grad():
        with nb.no_grad():
            assert not nb.is_grad_enabled()
        assert not nb.is_grad_enabled()
        with nb.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
    assert nb.is_grad_enabled()


@pytest.mark.parametrize("decorator", [nb.no_grad(), nb.no_grad], ids=["called", "bare"])
def test_no_grad_as_decorator(x, decorator):
    @decorator
    def double(t):
        """Doc."""
        return t * 2.0

    assert double.__doc__ == "Doc." and double.__name__ == "double"
    assert not double(x).requires_grad
    assert nb.is_grad_enabled()


def test_enable_grad_as_decorator_inside_no_grad(x):
    @nb.enable_grad()
    def double(t):
        return t * 2.0

    with nb.no_grad():
        assert double(x).requires_grad
        assert not nb.is_grad_enabled()


def test_set_grad_enabled(x):
    nb.set_grad_enabled(False)
    try:
        assert not (x * 2.0).requires_grad
    finally:
        nb.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_backward_of_graph_built_before_no_grad_still_works(x):
    y = (x * x).sum()
    with nb.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_set_grad_enabled_as_context_manager_restores(x):
    with nb.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert (x * 2.0).requires_grad
    with nb.no_grad(), nb.set_grad_enabled(True):
        assert (x * 2.0).requires_grad
    assert nb.is_grad_enabled()


def test_grad_mode_is_per_thread(x):
    """no_grad() in one thread leaves recording on in another (PyTorch's grad mode is
    thread-local), and a new thread starts with recording on even inside no_grad."""
    import threading

    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def evaluator():
        with nb.no_grad():
            seen["evaluator"] = (x * 2.0).requires_grad
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=evaluator)
    worker.start()
    assert inside.wait(10)
    seen["trainer"] = (x * 2.0).requires_grad         # while the other thread is in no_grad
    release.set()
    worker.join(10)
    assert seen == {"evaluator": False, "trainer": True}

    with nb.no_grad():
        fresh = {}
        thread = threading.Thread(target=lambda: fresh.update(mode=nb.is_grad_enabled()))
        thread.start()
        thread.join(10)
        assert fresh == {"mode": True}


def test_inference_mode_as_torch() -> None:
    """``torch.inference_mode`` as a context manager, a decorator with and without parentheses,
    with ``mode=False``, and ``is_inference_mode_enabled`` inside and outside, in both
    libraries."""
    torch = import_torch()
    for lib in (nb, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not (x * 2).requires_grad
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            assert (x * 2).requires_grad

        @lib.inference_mode
        def bare(t):
            return t * 2

        @lib.inference_mode()
        def called(t):
            return t * 2

        assert not bare(x).requires_grad and not called(x).requires_grad
        assert bare.__name__ == "bare"
