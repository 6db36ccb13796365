"""Post-accumulate-grad hooks: called once per backward, when a leaf's gradient is final."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import autograd


def test_hook_sees_final_gradient_before_earlier_layers_are_done(rng: np.random.Generator) -> None:
    # y = w2 @ relu(w1 @ x): w2's gradient is final before backward reaches w1
    x = nb.tensor(rng.standard_normal((4, 3)))
    w1 = nb.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    w2 = nb.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    events: list[tuple[str, np.ndarray | None, np.ndarray | None]] = []
    w1.register_post_accumulate_grad_hook(lambda t: events.append(("w1", t.grad, w2.grad)))
    w2.register_post_accumulate_grad_hook(lambda t: events.append(("w2", t.grad, w1.grad)))
    loss = ((x @ w1).relu() @ w2).sum()
    loss.backward()
    assert [e[0] for e in events] == ["w2", "w1"]
    assert events[0][2] is None                   # w1 not yet done when w2's hook ran
    np.testing.assert_array_equal(events[0][1], w2.grad)
    np.testing.assert_array_equal(events[1][1], w1.grad)


def test_fan_out_leaf_called_once_with_summed_gradient(rng: np.random.Generator) -> None:
    w = nb.tensor(rng.standard_normal(3), requires_grad=True)
    calls: list[np.ndarray] = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.array.copy()))
    loss = (w * w).sum() + (w * 3.0).sum() + w.exp().sum()   # three paths into w
    loss.backward()
    assert len(calls) == 1
    expected = 2 * w.array + 3.0 + np.exp(w.array)
    np.testing.assert_allclose(calls[0], expected, rtol=1e-6)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-6)


def test_gradients_equal_without_hooks(rng: np.random.Generator) -> None:
    data = rng.standard_normal((6, 4))

    def grads(with_hook: bool) -> list[np.ndarray]:
        a = nb.tensor(data, requires_grad=True)
        b = nb.tensor(data[:4], requires_grad=True)
        if with_hook:
            a.register_post_accumulate_grad_hook(lambda t: None)
        loss = ((a @ b).tanh() @ b).sum() + (a * a).sum()
        loss.backward(retain_graph=True)
        loss.backward()                            # a second pass adds the same again
        return [a.grad, b.grad]

    for got, want in zip(grads(True), grads(False)):
        np.testing.assert_array_equal(got, want)


def test_unused_leaf_gets_no_call_and_remove_works(rng: np.random.Generator) -> None:
    used = nb.tensor(rng.standard_normal(2), requires_grad=True)
    unused = nb.tensor(rng.standard_normal(2), requires_grad=True)
    calls: list[str] = []
    handle = used.register_post_accumulate_grad_hook(lambda t: calls.append("used"))
    unused.register_post_accumulate_grad_hook(lambda t: calls.append("unused"))
    (used * 2.0).sum().backward()
    assert calls == ["used"]
    handle.remove()
    (used * 2.0).sum().backward()
    assert calls == ["used"]


def test_leaf_root_and_errors() -> None:
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    calls: list[int] = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    w.backward(np.ones(2, dtype=np.float32))
    assert calls == [1]
    with pytest.raises(RuntimeError, match="expected a leaf tensor that requires grad"):
        (w * 2.0).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="without grad"):
        nb.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_hooks_are_dropped_with_their_tensor() -> None:
    w = nb.tensor([1.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)
    key = id(w)
    assert key in autograd._post_accumulate_hooks
    del w
    gc.collect()
    assert key not in autograd._post_accumulate_hooks
