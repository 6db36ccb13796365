"""In-place operations with PyTorch's semantics: the same tensor object and array change, the
leaf rules, recorded in-place operations on graph tensors (values and gradients vs PyTorch), the
hand-written update patterns of PyTorch programs, and optimizers with version counters."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from tests.conftest import import_torch

A = np.array([[0.5, -1.0, 2.0], [1.5, -0.25, 0.75]])
B = np.array([[1.25, 0.5, -2.0], [0.3, 2.0, -0.6]])

#: (id, op(t, lib, other)): each changes t in place and returns what the op returns
OPS = [
    ("add_", lambda t, lib, o: t.add_(o)),
    ("add_alpha", lambda t, lib, o: t.add_(o, alpha=-0.5)),
    ("sub_", lambda t, lib, o: t.sub_(o)),
    ("sub_alpha", lambda t, lib, o: t.sub_(o, alpha=2)),
    ("mul_", lambda t, lib, o: t.mul_(o)),
    ("mul_scalar", lambda t, lib, o: t.mul_(3.0)),
    ("div_", lambda t, lib, o: t.div_(o)),
    ("iadd", lambda t, lib, o: t.__iadd__(o)),
    ("isub_broadcast", lambda t, lib, o: t.__isub__(o[0])),
    ("imul", lambda t, lib, o: t.__imul__(o)),
    ("itruediv_scalar", lambda t, lib, o: t.__itruediv__(4.0)),
    ("zero_", lambda t, lib, o: t.zero_()),
    ("fill_", lambda t, lib, o: t.fill_(2.5)),
    ("copy_", lambda t, lib, o: t.copy_(o)),
    ("copy_broadcast", lambda t, lib, o: t.copy_(o[1])),
    ("clamp_", lambda t, lib, o: t.clamp_(-0.5, 1.0)),
    ("clamp_min", lambda t, lib, o: t.clamp_(min=0.0)),
    ("addcmul_", lambda t, lib, o: t.addcmul_(o, o, value=0.5)),
    ("addcdiv_", lambda t, lib, o: t.addcdiv_(o, o * o + 1, value=-2)),
    ("exp_", lambda t, lib, o: t.exp_()),
    ("sqrt_", lambda t, lib, o: t.abs().sqrt_()),
    ("relu_", lambda t, lib, o: t.relu_()),
    ("masked_fill_", lambda t, lib, o: t.masked_fill_(o > 0.4, -3.0)),
]


@pytest.mark.parametrize("op", OPS, ids=[o[0] for o in OPS])
def test_changes_the_same_tensor_and_array_as_torch(op) -> None:
    torch = import_torch()
    name, fn = op
    t = nb.tensor(A)
    array = t.array
    got = fn(t, nb, nb.tensor(B))
    expected = torch.tensor(A)
    fn(expected, torch, torch.tensor(B))
    if name != "sqrt_":                                # sqrt_ acts on t.abs(), a new tensor
        assert got is t and t.array is array and t._version == 1
    np.testing.assert_allclose(got.array if name == "sqrt_" else t.array,
                               np.sqrt(np.abs(A)) if name == "sqrt_" else expected.numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("op", [o for o in OPS if o[0] not in ("zero_", "fill_")],
                         ids=[o[0] for o in OPS if o[0] not in ("zero_", "fill_")])
def test_recorded_on_a_graph_tensor_gives_torch_gradients(op) -> None:
    """``h = x * w`` (a non-leaf), then ``h.op_(w2)``, then a loss of h: the in-place op is
    recorded and the gradients w.r.t. x, w and w2 are PyTorch's."""
    torch = import_torch()
    _, fn = op

    def run(lib):
        x = lib.tensor(A, requires_grad=True)
        w = lib.tensor(B, requires_grad=True)
        w2 = lib.tensor(B[::-1].copy(), requires_grad=True)
        h = x * w
        fn(h, lib, w2)
        (h * lib.tensor(A + 1.0)).sum().backward()
        return [x.grad, w.grad, w2.grad]

    theirs = run(torch)
    ours = run(nb)
    for o, t in zip(ours, theirs):
        if t is None:
            assert o is None or not np.any(o)
        else:
            np.testing.assert_allclose(o, t.numpy(), rtol=1e-10, atol=1e-12)


def test_zero_and_fill_on_a_graph_tensor_cut_the_gradient_as_torch() -> None:
    x = nb.tensor(A, requires_grad=True)
    h = x * 2
    h.zero_()
    (h + x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones_like(A))
    assert h.requires_grad and h.grad_fn is not None


def test_leaf_that_requires_grad_raises_outside_no_grad_and_says_what_to_write() -> None:
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.normal_()):
        with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad .*"
                                               r"with nb\.no_grad\(\)"):
            change()
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w -= 1.0
    with nb.no_grad():
        w -= 1.0
        w.mul_(2)
    np.testing.assert_array_equal(w.array, [0.0, 2.0])
    assert w.requires_grad and w.is_leaf


def test_polynomial_tutorial_learns_as_torch() -> None:
    """PyTorch's "polynomial fitting with tensors and autograd" tutorial, shortened: the
    in-place updates under no_grad change the weights, and the losses match PyTorch's."""
    torch = import_torch()

    def fit(lib):
        x = lib.linspace(-np.pi, np.pi, 200, dtype=lib.float64)
        y = lib.sin(x)
        a, b, c, d = (lib.tensor(v, dtype=lib.float64, requires_grad=True)
                      for v in (0.1, -0.2, 0.3, 0.05))
        learning_rate = 1e-6
        losses = []
        for _ in range(300):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        return losses

    ours, theirs = fit(nb), fit(torch)
    assert ours[-1] < 0.5 * ours[0]                   # it learns
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_hand_written_updates_through_data_and_grad() -> None:
    """The patterns of PyTorch programs written before optimizers, run in both libraries:
    ``p.data.add_(p.grad, alpha=-lr)``, ``.grad.zero_()``, ``.data`` assigned, ``.grad`` set
    to None; ``.data`` shares the values but is cut from the graph and from version tracking."""
    torch = import_torch()
    results = []
    for lib in (nb, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        assert isinstance(w.grad, lib.Tensor) and not w.grad.requires_grad
        d = w.data
        assert not d.requires_grad and d.grad_fn is None
        d.add_(w.grad, alpha=-0.25)                    # changes w, no version bump on w
        assert w._version == 0
        w.grad.zero_()
        (w * w).sum().backward()                       # accumulates into the zeroed grad
        g = w.grad.clone()
        w.data = lib.tensor([3.0, 4.0])
        w.grad = None
        (w * w).sum().backward()
        with lib.no_grad():
            w.add_(w.grad, alpha=-0.5)
        y = w * w                                      # saves w
        w.data.mul_(2.0)                               # unrecorded: backward does not see it
        y.sum().backward()
        results.append((g.numpy().copy(), w.detach().numpy().copy(), w.grad.numpy().copy()))
    for ours, theirs in zip(results[0], results[1]):
        np.testing.assert_allclose(ours, theirs)
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Tensor.grad: assigned grad has shape \(3,\)"):
        w.grad = nb.zeros(3)
    with pytest.raises(RuntimeError, match="dtype float64, expected float32"):
        w.grad = nb.zeros(2, dtype=nb.float64)


def test_optimizer_steps_bump_versions_as_torch() -> None:
    """An optimizer step changes the parameters in place: training works step after step, and
    backpropagating a graph recorded before the step raises, as in PyTorch."""
    torch = import_torch()
    for lib in (nb, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = lib.ones(4, 3, requires_grad=True)     # so torch saves the weight too
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
        out = model(x).pow(2).sum()
        out.backward(retain_graph=True)
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            out.backward()


def test_random_fills_use_the_given_or_default_generator() -> None:
    t = nb.zeros(1000)
    t.normal_(2.0, 0.5, generator=np.random.default_rng(1))
    expected = np.random.default_rng(1).normal(2.0, 0.5, 1000).astype(np.float32)
    np.testing.assert_array_equal(t.array, expected)
    nb.manual_seed(5)
    u = nb.zeros(100).uniform_(-1, 1)
    nb.manual_seed(5)
    assert np.array_equal(u.array, nb.zeros(100).uniform_(-1, 1).array)
    assert u.array.min() >= -1 and u.array.max() < 1


def test_results_that_cannot_be_written_in_place_raise() -> None:
    i = nb.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the dtype "
                                           "int64"):
        i += 0.5
    i *= 2                                            # int * int stays int, as torch
    np.testing.assert_array_equal(i.array, [2, 4, 6])
    small = nb.zeros(3)
    with pytest.raises(RuntimeError, match=r"the result has shape \(2, 3\), but the tensor "
                                           r"changed in place has shape \(3,\)"):
        small += nb.ones(2, 3)
    with pytest.raises(RuntimeError, match="clone"):
        nb.zeros(3).expand(2, 3).add_(1)


def test_numpy_arrays_updated_with_tensors_stay_arrays() -> None:
    """``velocity += p.grad`` on a NumPy buffer changes the buffer in place (it would otherwise
    rebind the name to a new tensor); ``array + t`` is the tensor's recorded operator; other
    ufuncs give arrays; a tensor as ``out=`` is refused with what to write instead."""
    t = nb.tensor([1.0, 2.0], requires_grad=True)
    buf = np.zeros(2, dtype=np.float32)
    before = buf
    buf += t
    buf -= 0.5 * t.detach()
    assert buf is before and type(buf) is np.ndarray
    np.testing.assert_array_equal(buf, [0.5, 1.0])
    y = np.ones(2, dtype=np.float32) - t
    assert isinstance(y, nb.Tensor) and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.array, [-1.0, -1.0])
    assert (np.ones(2) < t).tolist() == [False, True]
    assert type(np.exp(t)) is np.ndarray and np.isfinite(t).all()
    with pytest.raises(TypeError, match=r"np.add: out= cannot be a tensor.*t.add_"):
        np.add(np.ones(2), np.ones(2), out=(t,))


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_"])
def test_unrecorded_fast_path_gives_the_general_paths_bits(name) -> None:
    """add_/sub_/mul_/div_ outside the graph apply the ufunc straight into the array: the same
    values, the same version bump and the same errors as the block path."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        base = rng.standard_normal((3, 4)).astype(dtype)
        operands = [rng.standard_normal((3, 4)).astype(dtype), np.array(0.7, dtype=dtype), 1e-3, 3]
        for operand in operands:
            other = nb.tensor(operand) if isinstance(operand, np.ndarray) else operand
            fast = nb.tensor(base)
            getattr(fast, name)(other)
            general = nb.tensor(base)
            op = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div"}[name]
            general._inplace(name, lambda t, o, op=op: getattr(t, op)(o), other)
            assert fast._version == general._version == 1
            np.testing.assert_array_equal(fast.array, general.array)
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        getattr(w, name)(2.0)
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(nb.tensor([1, 2]), name)(0.5)
    with pytest.raises(RuntimeError, match="in-place results cannot grow by broadcasting"):
        getattr(nb.zeros(3), name)(nb.ones(2, 3))
