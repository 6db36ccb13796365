"""PyTorch parity of every primitive block on randomized shapes (hypothesis).

Forward outputs must match to 1e-6 relative and gradients (for a random cotangent) to 1e-6, in
float64, over broadcasting shapes, random axes, ``keepdim`` and ``correction``. Values come from
a generator seeded by hypothesis, away from the points where a block is not differentiable.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import nnblocks.functional as F
from nnblocks.core import Tensor
from tests.conftest import import_torch

RTOL = 1e-6
ATOL = 1e-10                         # for elements that are 0 up to rounding (sums that cancel)
SETTINGS = settings(max_examples=12, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)


def assert_parity(fn, torch_fn, arrays: list, seed: int) -> None:
    """Compare ``fn`` on nnblocks tensors with ``torch_fn`` on torch tensors, outputs and grads.

    Floating arrays (and floats) in ``arrays`` become leaves that require grad; anything else is
    passed to both functions unchanged.
    """
    torch = import_torch()
    xs, ts = [], []
    for a in arrays:
        if isinstance(a, float):
            a = np.asarray(a)                          # rng draws of shape () are floats
        if isinstance(a, np.ndarray) and a.dtype == np.float64:
            xs.append(Tensor(a.copy(), requires_grad=True))
            ts.append(torch.from_numpy(a.copy()).requires_grad_(True))
        else:
            xs.append(a)
            ts.append(a)
    outs, t_outs = fn(*xs), torch_fn(*ts)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    t_outs = list(t_outs) if isinstance(t_outs, (tuple, list)) else [t_outs]
    assert len(outs) == len(t_outs)
    rng = np.random.default_rng(seed)
    total, t_total = None, None
    for o, t in zip(outs, t_outs):
        assert o.shape == tuple(t.shape)
        assert o.dtype == np.float64
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=RTOL, atol=ATOL)
        u = rng.standard_normal(o.shape)
        term = (o * Tensor(u)).sum()
        t_term = (t * torch.from_numpy(u)).sum()
        total = term if total is None else total + term
        t_total = t_term if t_total is None else t_total + t_term
    total.backward()
    t_total.backward()
    for x, t in zip(xs, ts):
        if isinstance(x, Tensor):
            assert x.grad is not None and x.grad.shape == x.shape
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL)


def away_from(rng: np.random.Generator, shape: tuple, points=(0.0,), gap: float = 0.05):
    """Normal values at least ``gap`` from each kink in ``points``."""
    x = rng.standard_normal(shape)
    for p in points:
        x = np.where(np.abs(x - p) < gap, np.where(x >= p, p + gap, p - gap), x)
    return x


def signed_away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------------- element-wise binary
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
    "maximum": (F.maximum, lambda a, b: a.maximum(b)),
    "minimum": (F.minimum, lambda a, b: a.minimum(b)),
}


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(shapes=pairs, seed=seeds)
def test_binary(name, shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    if name == "div":
        b = signed_away_from_zero(rng, sb)
    if name == "pow":
        a = rng.uniform(0.5, 2.0, sa)
    fn, torch_fn = BINARY[name]
    assert_parity(fn, torch_fn, [a, b], seed)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
@SETTINGS
@given(shape=shapes, seed=seeds, scalar=st.floats(0.5, 3.0), reflected=st.booleans())
def test_binary_with_python_scalar(name, shape, seed, scalar, reflected):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, shape)
    op = BINARY[name][0]
    if reflected:
        assert_parity(lambda t: op(scalar, t), lambda t: op(scalar, t), [x], seed)
    else:
        assert_parity(lambda t: op(t, scalar), lambda t: op(t, scalar), [x], seed)


# ---------------------------------------------------------------------- element-wise unary
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, None),
    "exp": (F.exp, lambda x: x.exp(), None),
    "log": (F.log, lambda x: x.log(), "positive"),
    "sqrt": (F.sqrt, lambda x: x.sqrt(), "positive"),
    "abs": (F.abs, lambda x: x.abs(), "nonzero"),
    "square": (lambda x: x**2, lambda x: x**2, None),
    "clip": (lambda x: F.clip(x, -0.5, 0.8), lambda x: x.clamp(-0.5, 0.8), "bounds"),
    "clip_min": (lambda x: x.clamp(min=0.3), lambda x: x.clamp(min=0.3), "bounds"),
    "clip_max": (lambda x: x.clip(max=-0.2), lambda x: x.clamp(max=-0.2), "bounds"),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary(name, shape, seed):
    rng = np.random.default_rng(seed)
    fn, torch_fn, domain = UNARY[name]
    if domain == "positive":
        x = rng.uniform(0.1, 3.0, shape)
    elif domain == "nonzero":
        x = away_from(rng, shape)
    elif domain == "bounds":
        x = away_from(rng, shape, points=(-0.5, 0.8, 0.3, -0.2))
    else:
        x = rng.standard_normal(shape)
    assert_parity(fn, torch_fn, [x], seed)


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4),
       seed=seeds)
def test_where(shapes, seed):
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    torch = import_torch()
    cond = np.asarray(rng.random(sc) > 0.5)
    assert_parity(lambda a, b: F.where(cond, a, b),
                  lambda a, b: torch.where(torch.from_numpy(cond), a, b),
                  [rng.standard_normal(sa), rng.standard_normal(sb)], seed)


# ---------------------------------------------------------------------- matmul
@st.composite
def matmul_shapes(draw):
    """Operand shapes for matmul: 1-D or batched, with broadcast batch dims."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    ba, bb = batch.input_shapes
    a = (k,) if draw(st.booleans()) and not ba else ba + (n, k)
    b = (k,) if draw(st.booleans()) and not bb else bb + (k, m)
    return a, b


@SETTINGS
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    assert_parity(lambda a, b: a @ b, lambda a, b: a @ b,
                  [rng.standard_normal(sa), rng.standard_normal(sb)], seed)


# ---------------------------------------------------------------------- reductions
@st.composite
def reduction_args(draw):
    """A shape, a random set of axes (None, an int, or a tuple, negative allowed), keepdim."""
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        dim = None
    elif kind == "int":
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
    return shape, dim, draw(st.booleans())


REDUCTIONS = {
    "sum": (F.sum, lambda t, x, dim, k: t.sum(x, dim=dim, keepdim=k)),
    "mean": (F.mean, lambda t, x, dim, k: t.mean(x, dim=dim, keepdim=k)),
    "amax": (F.amax, lambda t, x, dim, k: t.amax(x, dim=() if dim is None else dim, keepdim=k)),
    "amin": (F.amin, lambda t, x, dim, k: t.amin(x, dim=() if dim is None else dim, keepdim=k)),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(args=reduction_args(), seed=seeds)
def test_reduction(name, args, seed):
    shape, dim, keepdim = args
    torch = import_torch()
    fn, torch_fn = REDUCTIONS[name]
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: fn(t, dim, keepdim), lambda t: torch_fn(torch, t, dim, keepdim),
                  [x], seed)


@pytest.mark.parametrize("name", ["max", "min"])
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=seeds,
       keepdim=st.booleans(), ties=st.booleans(), data=st.data())
def test_max_min_along_a_dim_return_values_and_indices_like_torch(name, shape, seed, keepdim,
                                                                   ties, data):
    """``x.max(dim)``: ``(values, indices)``; the gradient goes to the element at the index,
    also when there are ties (small integers as values)."""
    torch = import_torch()
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1)) if ndim else 0
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    values, indices = getattr(F, name)(Tensor(x), dim, keepdim)
    t_values, t_indices = getattr(torch, name)(torch.from_numpy(x), dim, keepdim)
    if not ties:                                         # torch picks any of tied indices
        np.testing.assert_array_equal(indices.array, t_indices.numpy())
    assert indices.dtype == np.int64 and indices.shape == tuple(t_indices.shape)
    assert_parity(lambda t: getattr(t, name)(dim, keepdim).values,
                  lambda t: getattr(t, name)(dim, keepdim).values, [x], seed)


def test_max_min_forms_follow_torch():
    torch = import_torch()
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, -1.0]])
    other = np.full((2, 3), 3.0)
    assert isinstance(F.max(Tensor(x)), Tensor) and F.max(Tensor(x)).item() == 7.0
    np.testing.assert_array_equal(F.max(Tensor(x), Tensor(other)).array,
                                  torch.max(torch.from_numpy(x), torch.from_numpy(other)))
    np.testing.assert_array_equal(F.min(Tensor(x), Tensor(other)).array,
                                  torch.min(torch.from_numpy(x), torch.from_numpy(other)))
    result = Tensor(x).min(dim=1, keepdim=True)
    assert result.values.shape == (2, 1) and result.indices.tolist() == [[0], [2]]
    # several axes (or NumPy's axis=) give the values only, as amax / amin
    np.testing.assert_array_equal(F.max(Tensor(x), (0, 1)).array, 7.0)
    np.testing.assert_array_equal(Tensor(x).max(axis=0).array, [7.0, 5.0, 2.0])


@SETTINGS
@given(args=reduction_args(), correction=st.integers(0, 2), seed=seeds)
def test_var(args, correction, seed):
    shape, dim, keepdim = args
    dims = range(len(shape)) if dim is None else np.atleast_1d(dim)
    count = int(np.prod([shape[d] for d in dims]))
    assume(count > correction)
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: t.var(dim, correction=correction, keepdim=keepdim),
                  lambda t: t.var(dim, correction=correction, keepdim=keepdim), [x], seed)


# ---------------------------------------------------------------------- shape blocks
@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape_and_flatten(shape, seed, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    target = data.draw(st.permutations(shape)) if shape else ()
    if target and data.draw(st.booleans()):
        target = (-1,) + tuple(target[1:])
    assert_parity(lambda t: t.reshape(*target) if target else t.reshape(()),
                  lambda t: t.reshape(*target) if target else t.reshape(()), [x], seed)
    if len(shape) >= 1:
        start = data.draw(st.integers(-len(shape), len(shape) - 1))
        end = data.draw(st.integers(start % len(shape), len(shape) - 1))
        assert_parity(lambda t: F.flatten(t, start, end), lambda t: t.flatten(start, end),
                      [x], seed)


@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_permute_and_transpose(shape, seed, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    dims = data.draw(st.permutations(range(len(shape))))
    assert_parity(lambda t: t.permute(tuple(dims)), lambda t: t.permute(tuple(dims)), [x],
                  seed)
    if len(shape) >= 2:
        d0 = data.draw(st.integers(-len(shape), len(shape) - 1))
        d1 = data.draw(st.integers(-len(shape), len(shape) - 1))
        assert_parity(lambda t: t.transpose(d0, d1), lambda t: t.transpose(d0, d1), [x], seed)


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=4),
       seed=seeds, data=st.data())
def test_expand(shapes, seed, data):
    (shape,) = shapes.input_shapes
    target = list(shapes.result_shape)
    new = len(target) - len(shape)
    for i in range(new, len(target)):                 # -1 keeps an existing size
        if data.draw(st.booleans()):
            target[i] = -1
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: t.expand(tuple(target)), lambda t: t.expand(tuple(target)), [x],
                  seed)


@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2), seed=seeds,
       data=st.data())
def test_squeeze_and_unsqueeze(shape, seed, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    ndim = len(shape)
    assert_parity(lambda t: t.squeeze(), lambda t: t.squeeze(), [x], seed)
    if ndim:
        dim = data.draw(st.integers(-ndim, ndim - 1))
        assert_parity(lambda t: t.squeeze(dim), lambda t: t.squeeze(dim), [x], seed)
    dim = data.draw(st.integers(-ndim - 1, ndim))
    assert_parity(lambda t: t.unsqueeze(dim), lambda t: t.unsqueeze(dim), [x], seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds,
       data=st.data())
def test_cat_and_stack(shape, seed, data):
    torch = import_torch()
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    n = data.draw(st.integers(1, 3))
    dim = data.draw(st.integers(-ndim, ndim - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    parts = []
    for size in sizes:
        s = list(shape)
        s[dim] = size
        parts.append(rng.standard_normal(s))
    assert_parity(lambda *ts: F.cat(ts, dim), lambda *ts: torch.cat(ts, dim), parts, seed)
    same = [rng.standard_normal(shape) for _ in range(n)]
    sdim = data.draw(st.integers(-ndim - 1, ndim))
    assert_parity(lambda *ts: F.stack(ts, sdim), lambda *ts: torch.stack(ts, sdim), same, seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), seed=seeds,
       data=st.data())
def test_split(shape, seed, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    n = shape[dim]
    if data.draw(st.booleans()):
        split = data.draw(st.integers(1, n + 1))           # chunk size, last chunk smaller
    else:
        cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
        split = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: F.split(t, split, dim), lambda t: t.split(split, dim), [x], seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds,
       data=st.data(), value=st.floats(-2, 2))
def test_pad(shape, seed, data, value):
    torch = import_torch()
    n_axes = data.draw(st.integers(1, len(shape)))
    pad = data.draw(st.lists(st.integers(0, 2), min_size=2 * n_axes, max_size=2 * n_axes))
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: F.pad(t, pad, value=value),
                  lambda t: torch.nn.functional.pad(t, pad, value=value), [x], seed)


@st.composite
def indices(draw, shape):
    """A random index: per axis a slice, an int, or (once) an integer array with repeats;
    or a boolean mask over the whole tensor."""
    if draw(st.integers(0, 4)) == 0:
        mask = np.asarray(draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape)))), dtype=bool)
        return mask.reshape(shape)
    index = []
    used_array = False
    for n in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["slice", "int", "array"]))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "array" and not used_array:
            used_array = True
            index.append(np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                                  max_size=5))))
        else:
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            step = draw(st.none() | st.integers(1, 3))
            index.append(slice(start, stop, step))
    return tuple(index)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds,
       data=st.data())
def test_getitem(shape, seed, data):
    torch = import_torch()
    index = data.draw(indices(shape))

    def to_torch(i):
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    t_index = tuple(to_torch(i) for i in index) if isinstance(index, tuple) else to_torch(index)
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_parity(lambda t: t[index], lambda t: t[t_index], [x], seed)
