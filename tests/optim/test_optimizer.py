"""The Optimizer contract: state dicts (exact resume, JSON + npz, PyTorch's layout), parameter
groups, add_param_group, skipped parameters, zero_grad, closures, dtypes and argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnblocks as nb
import nnblocks.optim as optim
from nnblocks.nn import Parameter
from nnblocks.optim import lr_scheduler
from tests.conftest import import_torch
from tests.optim.problems import (
    Quadratic,
    assert_close_relative,
    from_json_and_npz,
    make_problem,
    run_ours,
    run_torch,
    to_json_and_npz,
)

# one configuration per optimizer that creates every kind of state it has
FULL_STATE = {
    "SGD": dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01),
    "RMSprop": dict(lr=1e-3, momentum=0.9, centered=True, weight_decay=0.01),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": dict(lr=0.01, amsgrad=True),
    "DeltaBarDelta": dict(lr=0.02, kappa=0.002, phi=0.3, theta=0.7),
}


def _make(name: str, params, **extra):
    return getattr(optim, name)(params, **{**FULL_STATE[name], **extra})


# ---------------------------------------------------------------------- state dict round trip
@pytest.mark.parametrize("problem_name", ["quadratic", "mlp-autograd"])
@pytest.mark.parametrize("name", list(FULL_STATE))
def test_resume_from_state_dict_is_bit_exact(name, problem_name, rng):
    """50 steps, save optimizer + scheduler through JSON and npz (no pickle), load both into
    fresh objects, 50 more steps == 100 uninterrupted steps, bit for bit."""
    problem = make_problem(problem_name, rng)

    def fresh(arrays):
        params = [Parameter(a.copy()) for a in arrays]
        opt = _make(name, params)
        return params, opt, lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)

    def advance(params, opt, sched, steps):
        for _ in range(steps):
            problem.set_grads(params, 1.0)
            opt.step()
            sched.step()

    params, opt, sched = fresh(problem.start)
    advance(params, opt, sched, 100)
    uninterrupted = [p.array.copy() for p in params]

    params, opt, sched = fresh(problem.start)
    advance(params, opt, sched, 50)
    saved = to_json_and_npz(
        {"params": [p.array for p in params], "optimizer": opt.state_dict(),
         "scheduler": sched.state_dict()}
    )
    del params, opt, sched
    checkpoint = from_json_and_npz(*saved)
    params, opt, sched = fresh(checkpoint["params"])
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    advance(params, opt, sched, 50)
    for resumed, reference in zip(params, uninterrupted):
        assert np.array_equal(resumed.array, reference)


@pytest.mark.parametrize("name", ["Adam", "DeltaBarDelta"])
def test_resume_through_nnblocks_io_checkpoint(name, tmp_path, rng):
    """The same round trip through the library's own checkpoint files (nnblocks.io)."""
    from nnblocks.io.checkpoint import load_checkpoint, save_checkpoint

    problem = Quadratic(rng)

    def fresh(arrays):
        params = [Parameter(a.copy()) for a in arrays]
        opt = _make(name, params)
        return params, opt, lr_scheduler.MultiStepLR(opt, milestones=[20, 70, 70], gamma=0.5)

    def advance(params, opt, sched, steps):
        for _ in range(steps):
            problem.set_grads(params, 1.0)
            opt.step()
            sched.step()

    params, opt, sched = fresh(problem.start)
    advance(params, opt, sched, 100)
    uninterrupted = [p.array.copy() for p in params]
    params, opt, sched = fresh(problem.start)
    advance(params, opt, sched, 50)
    path = save_checkpoint(tmp_path / "ckpt.npz", optimizer=opt, scheduler=sched,
                           extra={"params": [p.array for p in params]})
    params, opt, sched = fresh(load_checkpoint(path).extra["params"])
    load_checkpoint(path, optimizer=opt, scheduler=sched)
    advance(params, opt, sched, 50)
    for resumed, reference in zip(params, uninterrupted):
        assert np.array_equal(resumed.array, reference)


def test_state_dict_layout_matches_torch():
    torch = import_torch()
    arrays = [np.ones(3), np.ones((2, 2))]
    ours_params = [Parameter(a.copy()) for a in arrays]
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    ours = optim.Adam([{"params": ours_params[:1]}, {"params": ours_params[1:], "lr": 0.1}],
                      amsgrad=True)
    theirs = torch.optim.Adam(
        [{"params": theirs_params[:1]}, {"params": theirs_params[1:], "lr": 0.1}], amsgrad=True
    )
    for p, q in zip(ours_params, theirs_params):
        p.grad = np.ones_like(p.array)
        q.grad = torch.ones_like(q)
    ours.step()
    theirs.step()
    a, b = ours.state_dict(), theirs.state_dict()
    assert set(a) == {"state", "param_groups"}
    assert list(a["state"]) == list(b["state"]) == [0, 1]
    for index in a["state"]:
        assert set(a["state"][index]) == set(b["state"][index])
        assert a["state"][index]["step"] == int(b["state"][index]["step"])
    for group_a, group_b in zip(a["param_groups"], b["param_groups"]):
        assert group_a["params"] == group_b["params"]
        assert set(group_a) <= set(group_b)
        assert all(group_a[k] == group_b[k] for k in group_a)


def test_state_dict_is_a_copy():
    w = Parameter(np.ones(3))
    opt = optim.Adam([w])
    w.grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_loads_torch_state_dict_and_continues_like_torch(name, rng):
    torch = import_torch()
    problem = Quadratic(rng)
    kwargs = {k: v for k, v in FULL_STATE[name].items()}
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in problem.start]
    theirs = getattr(torch.optim, name)(theirs_params, **kwargs, foreach=False)
    for _ in range(50):
        problem.set_grads_torch(torch, theirs_params, 1.0)
        theirs.step()
    ours_params = [Parameter(p.detach().numpy().copy()) for p in theirs_params]
    ours = _make(name, ours_params)
    ours.load_state_dict(theirs.state_dict())  # torch tensors are accepted and copied
    for _ in range(50):
        problem.set_grads_torch(torch, theirs_params, 1.0)
        problem.set_grads(ours_params, 1.0)
        theirs.step()
        ours.step()
    assert_close_relative([p.array for p in ours_params],
                          [p.detach().numpy() for p in theirs_params], 1e-6)


def test_load_state_dict_checks_group_sizes():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="2 parameters in the state dict"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)


def test_load_checks_state_shapes():
    w = Parameter(np.ones(3))
    opt = optim.Adam([w])
    w.grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    other = optim.Adam([Parameter(np.ones(4))])
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: state 'exp_avg' has shape "
                                         r"\(3,\), its parameter has shape \(4,\)"):
        other.load_state_dict(saved)


def test_load_casts_arrays_to_the_parameter_dtype():
    w64 = Parameter(np.ones(2))
    opt64 = optim.Adam([w64])
    w64.grad = np.ones(2)
    opt64.step()
    w32 = Parameter(np.ones(2, dtype=np.float32))
    opt32 = optim.Adam([w32])
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == np.float32
    assert opt32.state[w32]["step"] == 1


# ---------------------------------------------------------------------- parameter groups
def _grouped(lib, params):
    return lib.SGD(
        [
            {"params": params[:1], "lr": 0.05, "momentum": 0.5},
            {"params": params[1:], "weight_decay": 0.1, "nesterov": True},
        ],
        lr=0.01,
        momentum=0.9,
    )


def _grouped_adam(lib, params):
    return lib.Adam(
        [{"params": params[:1], "betas": (0.8, 0.99)}, {"params": params[1:], "lr": 0.02}],
        lr=0.005,
    )


@pytest.mark.parametrize("make", [_grouped, _grouped_adam], ids=["SGD", "Adam"])
def test_per_group_hyper_parameters_match_torch(make, rng):
    torch = import_torch()
    problem = Quadratic(rng)
    ours, _ = run_ours(problem, lambda ps: make(optim, ps), 100)
    theirs, _ = run_torch(torch, problem, lambda ps: make(torch.optim, ps), 100)
    assert_close_relative(ours, theirs, 1e-6)


def test_groups_take_missing_values_from_defaults():
    opt = _grouped(optim, [Parameter(np.ones(1)), Parameter(np.ones(1))])
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0.9]
    assert [g["nesterov"] for g in opt.param_groups] == [False, True]


def test_add_param_group_midway_matches_torch(rng):
    torch = import_torch()
    problem = Quadratic(rng)

    def run(lib, params, set_grads):
        opt = lib.Adam(params[:1], lr=0.01)
        for step in range(80):
            if step == 30:
                opt.add_param_group({"params": params[1:], "lr": 0.03, "amsgrad": True})
            set_grads(params)
            if step < 30:
                params[1].grad = None  # not yet optimized: keep it out of both runs
            opt.step()
        return opt

    ours_params = [Parameter(a.copy()) for a in problem.start]
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in problem.start]
    ours = run(optim, ours_params, lambda ps: problem.set_grads(ps, 1.0))
    run(torch.optim, theirs_params, lambda ps: problem.set_grads_torch(torch, ps, 1.0))
    assert_close_relative([p.array for p in ours_params],
                          [p.detach().numpy() for p in theirs_params], 1e-6)
    assert ours.state[ours_params[1]]["step"] == 50
    assert ours.param_groups[1]["betas"] == (0.9, 0.999)


def test_add_param_group_rejects_shared_parameters():
    w = Parameter(np.ones(2))
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="twice"):
        opt.add_param_group({"params": [Parameter(np.ones(1))] * 2})


def test_named_parameters_are_kept_as_param_names():
    a, b = Parameter(np.ones(1)), Parameter(np.ones(1))
    opt = optim.SGD([("layer.weight", a), ("layer.bias", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["layer.weight", "layer.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight", "layer.bias"]


# ---------------------------------------------------------------------- stepping
@pytest.mark.parametrize("name", list(FULL_STATE))
def test_parameters_without_grad_are_skipped(name):
    a, b = Parameter(np.ones(3)), Parameter(np.ones(3))
    opt = _make(name, [a, b])
    for _ in range(3):
        a.grad = np.full(3, 0.5)
        opt.step()
    np.testing.assert_array_equal(b.array, np.ones(3))
    assert b not in opt.state
    assert list(opt.state_dict()["state"]) == [0]


def test_zero_grad():
    w = Parameter(np.ones(2))
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad, np.zeros(2))
    opt.zero_grad()
    assert w.grad is None


def test_step_with_closure_records_even_under_no_grad():
    w = Parameter(np.array([3.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with nb.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_array_equal(w.array, [1.5])


def test_update_is_in_place():
    w = Parameter(np.ones(3))
    alias = w.array
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.ones(3)
    opt.step()
    assert w.array is alias
    assert not w.requires_grad or w.is_leaf


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_float32_stays_float32(name):
    """NumPy-scalar hyper-parameters must not promote float32 parameters or state."""
    torch = import_torch()
    start = np.linspace(-1.0, 1.0, 6, dtype=np.float32)
    w = Parameter(start.copy())
    numpy_scalars = {k: np.float64(v) if isinstance(v, float) else v
                     for k, v in FULL_STATE[name].items()}
    opt = getattr(optim, name)([w], **numpy_scalars)
    for _ in range(20):
        w.grad = (np.float32(2.0) * w.array).astype(np.float32)
        opt.step()
    assert w.dtype == np.float32
    for key, value in opt.state[w].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key
    if name != "DeltaBarDelta":  # and it agrees with PyTorch in float32
        q = torch.tensor(start.copy(), requires_grad=True)
        ref = getattr(torch.optim, name)([q], **FULL_STATE[name])
        for _ in range(20):
            q.grad = 2.0 * q.detach()
            ref.step()
        np.testing.assert_allclose(w.array, q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_repr_lists_group_hyper_parameters():
    text = repr(optim.SGD([Parameter(np.ones(1))], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (")
    assert "Parameter Group 0" in text
    assert "momentum: 0.9" in text


# ---------------------------------------------------------------------- argument checks
BAD = [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1.0), "weight_decay"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov.*dampening"),
    ("SGD", dict(lr=0.1, nesterov=True), "nesterov.*momentum"),
    ("Adagrad", dict(lr=-1.0), "lr"),
    ("Adagrad", dict(lr_decay=-1.0), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    ("Adagrad", dict(eps=-1.0), "eps"),
    ("RMSprop", dict(lr=-1.0), "lr"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("RMSprop", dict(eps=-1e-8), "eps"),
    ("RMSprop", dict(momentum=-0.9), "momentum"),
    ("RMSprop", dict(weight_decay=-0.1), "weight_decay"),
    ("Adam", dict(lr=-1e-3), "lr"),
    ("Adam", dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    ("Adam", dict(betas=(-0.1, 0.999)), r"betas\[0\]"),
    ("Adam", dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    ("Adam", dict(eps=-1.0), "eps"),
    ("Adam", dict(weight_decay=-1.0), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
]


@pytest.mark.parametrize("name, kwargs, match", BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_bad_hyper_parameters_raise_like_torch(name, kwargs, match):
    torch = import_torch()
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([Parameter(np.zeros(2))], **kwargs)
    with pytest.raises(ValueError):  # PyTorch rejects them too
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


def test_bad_values_in_a_group_are_rejected():
    w = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([{"params": [w], "lr": -0.1}], lr=0.1)
    opt = optim.Adam([w])
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        opt.add_param_group({"params": [Parameter(np.zeros(1))], "betas": (0.9, 1.0)})


@pytest.mark.parametrize(
    "params, error, match",
    [
        ([], ValueError, "empty parameter list"),
        (Parameter(np.zeros(2)), TypeError, "single Tensor"),
        ([np.zeros(2)], TypeError, "only optimize Tensors"),
        ([Parameter(np.zeros(2, dtype=np.int64), requires_grad=False)], TypeError, "floating"),
        ({Parameter(np.zeros(2))}, TypeError, "not a set"),
    ],
)
def test_bad_params(params, error, match):
    with pytest.raises(error, match=match):
        if isinstance(params, set):
            optim.SGD([{"params": params}], lr=0.1)
        else:
            optim.SGD(params, lr=0.1)


def test_non_leaf_is_rejected():
    w = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2.0], lr=0.1)


def test_gradient_shape_is_checked():
    w = Parameter(np.ones(2))
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3,\), expected \(2,\)"):
        w.grad = np.ones(3)                      # refused on assignment, as PyTorch
    w.grad = np.ones(2)
    w.data = np.ones(3)                          # the parameter changed shape under its grad
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(2,\)"):
        opt.step()


# ---------------------------------------------------------------------- randomized
@settings(max_examples=8, deadline=None)
@given(
    lr=st.floats(1e-4, 5e-3),
    beta1=st.floats(0.0, 0.95),
    beta2=st.floats(0.9, 0.9999),
    eps=st.sampled_from([1e-8, 1e-6, 1e-3]),
    weight_decay=st.sampled_from([0.0, 0.05]),
    amsgrad=st.booleans(),
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
)
def test_adam_random_hyper_parameters_match_torch(lr, beta1, beta2, eps, weight_decay, amsgrad,
                                                   shape):
    torch = import_torch()
    start = np.cos(np.arange(int(np.prod(shape))) + 1.0).reshape(shape)
    kwargs = dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                  amsgrad=amsgrad)
    w = Parameter(start.copy())
    q = torch.tensor(start.copy(), requires_grad=True)
    ours, theirs = optim.Adam([w], **kwargs), torch.optim.Adam([q], **kwargs, foreach=False)
    for _ in range(30):
        w.grad = np.sin(3.0 * w.array) + w.array
        q.grad = torch.sin(3.0 * q.detach()) + q.detach()
        ours.step()
        theirs.step()
    np.testing.assert_allclose(w.array, q.detach().numpy(), rtol=1e-6, atol=1e-12)
