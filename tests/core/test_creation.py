"""Creation functions, dtype names and devices against PyTorch: values, dtypes and shapes for
the deterministic functions, shapes/dtypes/seeding/statistics for the random ones, and clear
errors where nnblocks differs (other devices, ``out=``)."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb

#: (call, arguments) pairs run as ``nb.<call>(*args, **kwargs)`` and ``torch.<call>(...)``
DETERMINISTIC = [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("zeros", ([4],), {"dtype": "float64"}),
    ("ones", (3,), {}), ("ones", (2, 2), {"dtype": "int64"}), ("ones", ((),), {}),
    ("full", ((2, 3), 7), {}), ("full", ((2,), 1.5), {}), ("full", ((2,), True), {}),
    ("full", ((2,), 3), {"dtype": "float64"}),
    ("eye", (3,), {}), ("eye", (2, 4), {}), ("eye", (3,), {"dtype": "int32"}),
    ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0, 1, 0.1), {}),
    ("arange", (5.0,), {}), ("arange", (10, 0, -3), {}), ("arange", (0, 1, 0.25),
                                                         {"dtype": "float64"}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-2, 3, 1), {}), ("linspace", (1, 2, 0), {}),
]
LIKE = [("zeros_like", (), {}), ("ones_like", (), {"dtype": "int64"}), ("full_like", (2.5,), {})]


def _torch_kwargs(torch, kwargs):
    return {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}


def _nb_kwargs(kwargs):
    return {k: getattr(nb, v) if k == "dtype" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("name, args, kwargs", DETERMINISTIC)
def test_deterministic_creation_matches_torch(name, args, kwargs, torch) -> None:
    ours = getattr(nb, name)(*args, **_nb_kwargs(kwargs))
    theirs = getattr(torch, name)(*args, **_torch_kwargs(torch, kwargs))
    assert isinstance(ours, nb.Tensor) and ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, args, kwargs", LIKE)
def test_like_functions_match_torch(name, args, kwargs, torch) -> None:
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    ours = getattr(nb, name)(nb.tensor(base), *args, **_nb_kwargs(kwargs))
    theirs = getattr(torch, name)(torch.from_numpy(base), *args, **_torch_kwargs(torch, kwargs))
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_requires_grad_and_gradients_flow(torch) -> None:
    w = nb.ones(2, 3, requires_grad=True)
    (w * nb.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(w.grad, np.arange(6.0).reshape(2, 3))
    assert w.is_leaf and w.requires_grad
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nb.zeros(2, dtype=nb.int64, requires_grad=True)


@pytest.mark.parametrize("name, args", [("rand", (3, 4)), ("randn", ((3, 4),)),
                                        ("randint", (0, 10, (3, 4))), ("randint", (5, (3, 4))),
                                        ("randperm", (12,)), ("normal", (2.0, 3.0, (3, 4)))])
def test_random_creation_shapes_dtypes_and_seeding(name, args, torch) -> None:
    theirs = getattr(torch, name)(*args)
    fn = getattr(nb, name)
    nb.manual_seed(123)
    first = fn(*args)
    nb.manual_seed(123)
    second = fn(*args)
    assert first.shape == tuple(theirs.shape)
    assert first.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(first.array, second.array)            # nb.manual_seed
    third = fn(*args, rng=np.random.default_rng(5))
    fourth = fn(*args, generator=np.random.default_rng(5))            # PyTorch's keyword
    np.testing.assert_array_equal(third.array, fourth.array)


def test_random_values_have_the_right_distribution() -> None:
    rng = np.random.default_rng(0)
    u = nb.rand(100_000, rng=rng).array
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    z = nb.randn(100_000, rng=rng).array
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    n = nb.normal(2.0, 3.0, (100_000,), rng=rng).array
    assert abs(n.mean() - 2.0) < 0.05 and abs(n.std() - 3.0) < 0.05
    k = nb.randint(3, 7, (10_000,), rng=rng).array
    assert set(np.unique(k)) == {3, 4, 5, 6}
    assert sorted(nb.randperm(50, rng=rng).tolist()) == list(range(50))
    per_element = nb.normal(nb.tensor([0.0, 100.0]), nb.tensor([1.0, 0.0]), rng=rng)
    assert per_element.shape == (2,) and per_element.array[1] == 100.0


def test_from_numpy_shares_memory_and_dtype() -> None:
    array = np.zeros(3)
    t = nb.from_numpy(array)
    array[0] = 5.0
    assert t.dtype == np.float64 and t.tolist() == [5.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        nb.from_numpy([1.0])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type <U1"):
        nb.from_numpy(np.array(["a"]))


def test_dtype_names_are_pytorch_names(torch) -> None:
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                 "float", "double", "half", "long", "int", "short", "bool"):
        assert getattr(nb, name) == np.dtype(str(getattr(torch, name)).replace("torch.", "")), name
    assert nb.tensor([1.0]).dtype == nb.float32 and nb.tensor([1]).dtype == nb.long
    assert float("2.5") == 2.5 and int("3") == 3          # Python's builtins are untouched


def test_devices_cpu_accepted_others_named_but_refused() -> None:
    device = nb.device("cuda" if nb.cuda.is_available() else "cpu")
    assert device == nb.device("cpu") == "cpu" and repr(device) == "device(type='cpu')"
    assert nb.zeros(2, device=device).device == device
    assert nb.zeros(2, device="cpu:0").shape == (2,)
    t = nb.tensor([1.0])
    assert t.cpu() is t
    assert not nb.cuda.is_available() and nb.cuda.device_count() == 0
    assert not nb.accelerator.is_available() and not nb.backends.mps.is_available()
    nb.backends.cudnn.deterministic = True                     # as training scripts do
    cuda = nb.device("cuda", 0)
    assert str(cuda) == "cuda:0"
    with pytest.raises(RuntimeError, match="zeros: nnblocks runs on the CPU; got 'cuda:0'"):
        nb.zeros(2, device=cuda)
    with pytest.raises(RuntimeError, match="nnblocks runs on the CPU; got 'mps'"):
        nb.ones(2, device="mps")
    with pytest.raises(RuntimeError, match="Tensor.cuda: nnblocks runs on the CPU"):
        t.cuda()


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        nb.zeros(2, -1)
    with pytest.raises(TypeError, match="size must be a sequence of ints"):
        nb.ones(2.5)
    with pytest.raises(TypeError, match="out= is not supported; assign the result instead"):
        nb.zeros(2, out=nb.zeros(2))
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        nb.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        nb.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="expected low < high"):
        nb.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        nb.rand(2, generator=42)
    with pytest.raises(TypeError, match="dtype must be a dtype such as nb.float32"):
        nb.zeros(2, dtype="not-a-dtype")


def test_tensor_takes_device_and_pin_memory_as_torch() -> None:
    t = nb.tensor([1, 2], dtype=nb.long, device=nb.device("cpu"), pin_memory=False)
    assert t.dtype == np.int64 and nb.as_tensor([1.0], device="cpu").dtype == np.float32
    with pytest.raises(RuntimeError, match="nnblocks runs on the CPU; got 'cuda"):
        nb.tensor([1.0], device="cuda")
