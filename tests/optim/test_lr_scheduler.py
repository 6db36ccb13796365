"""Learning-rate schedules: parity with torch.optim.lr_scheduler (rates and 200-step
trajectories), InverseTimeLR and its Robbins–Monro test, state dicts, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnblocks.optim as optim
from nnblocks.nn import Parameter
from nnblocks.optim import lr_scheduler
from tests.conftest import import_torch
from tests.optim.problems import assert_close_relative, make_problem, run_ours, run_torch

STEPS = 200


def _lambda_factor(epoch: int) -> float:
    return 1.0 / (1.0 + 0.05 * epoch)


def _lambda_factor_2(epoch: int) -> float:
    return 0.97**epoch


# name, constructor kwargs given to both libraries (lr_lambda is added for LambdaLR)
SCHEDULES = [
    ("StepLR", dict(step_size=30, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[50, 100, 100, 150], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.99)),
    ("CosineAnnealingLR", dict(T_max=80, eta_min=0.001)),  # 200 steps: past T_max and back
    ("LambdaLR", dict(lr_lambda=[_lambda_factor, _lambda_factor_2])),
]


def _two_groups(lib, params, lr):
    """SGD with momentum, a group per parameter, the second one with half the rate."""
    return lib.SGD(
        [{"params": [params[0]]}, {"params": params[1:], "lr": lr / 2}],
        lr=lr,
        momentum=0.9,
    )


@pytest.mark.parametrize("problem_name", ["quadratic", "mlp"])
@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_torch(schedule, problem_name, rng):
    torch = import_torch()
    name, kwargs = schedule
    problem = make_problem(problem_name, rng)
    ours, our_rates = run_ours(
        problem,
        lambda ps: _two_groups(optim, ps, 0.05),
        STEPS,
        make_sched=lambda opt: getattr(lr_scheduler, name)(opt, **kwargs),
    )
    theirs, their_rates = run_torch(
        torch,
        problem,
        lambda ps: _two_groups(torch.optim, ps, 0.05),
        STEPS,
        make_sched=lambda opt: getattr(torch.optim.lr_scheduler, name)(opt, **kwargs),
    )
    np.testing.assert_allclose(our_rates, their_rates, rtol=1e-12, atol=0)
    assert_close_relative(ours, theirs, 1e-6)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_get_last_lr_and_last_epoch_match_torch(schedule):
    torch = import_torch()
    name, kwargs = schedule
    ours_opt = _two_groups(optim, [Parameter(np.zeros(1)), Parameter(np.zeros(1))], 0.1)
    theirs_opt = _two_groups(torch.optim, [torch.zeros(1), torch.zeros(1)], 0.1)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    for _ in range(170):
        assert ours.last_epoch == theirs.last_epoch
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=3, last_epoch=4)


def test_scheduler_rejects_non_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.ExponentialLR(object(), gamma=0.9)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda opt: lr_scheduler.StepLR(opt, step_size=0), "step_size"),
        (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), "T_max"),
        (lambda opt: lr_scheduler.InverseTimeLR(opt, gamma=-0.1), "gamma"),
        (lambda opt: lr_scheduler.InverseTimeLR(opt, gamma=0.1, power=-1.0), "power"),
        (lambda opt: lr_scheduler.LambdaLR(opt, [_lambda_factor] * 2), "lr_lambdas"),
    ],
)
def test_bad_schedule_arguments(make, match):
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=match):
        make(opt)


# ---------------------------------------------------------------------- InverseTimeLR
@pytest.mark.parametrize("gamma, power", [(0.1, 1.0), (0.5, 0.6), (0.01, 2.0), (0.0, 1.0)])
def test_inverse_time_follows_its_formula(gamma, power):
    opt = optim.SGD([{"params": [Parameter(np.zeros(1))]}, {"params": [Parameter(np.zeros(1))],
                                                             "lr": 0.3}], lr=1.5)
    sched = lr_scheduler.InverseTimeLR(opt, gamma=gamma, power=power)
    for t in range(50):
        expected = [lr0 / (1.0 + gamma * t) ** power for lr0 in (1.5, 0.3)]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-15)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
        opt.step()
        sched.step()


@pytest.mark.parametrize(
    "gamma, power, lr, expected",
    [
        (1.0, 1.0, 0.1, True),    # the classic 1/t: harmonic series diverges, Σ 1/t² converges
        (0.1, 0.75, 0.1, True),
        (0.1, 0.51, 0.1, True),
        (0.1, 0.5, 0.1, False),   # Σ 1/t diverges: squares don't converge
        (0.1, 0.3, 0.1, False),
        (0.1, 1.01, 0.1, False),  # Σ t^-1.01 converges: the steps don't add up to infinity
        (0.1, 2.0, 0.1, False),
        (0.0, 1.0, 0.1, False),   # constant rate
        (1.0, 1.0, 0.0, False),   # zero rate
    ],
)
def test_robbins_monro(gamma, power, lr, expected):
    opt = optim.SGD([Parameter(np.zeros(1))], lr=lr)
    sched = lr_scheduler.InverseTimeLR(opt, gamma=gamma, power=power)
    assert sched.satisfies_robbins_monro() is expected


def test_robbins_monro_partial_sums_behave_as_stated():
    """Numerically: for p = 1 the partial sums of lr_t grow like log T, those of lr_t² level
    off; for p = 0.5 the partial sums of lr_t² grow like log T too."""
    t = np.arange(1, 10**6 + 1, dtype=np.float64)
    for power, first_grows, second_grows in [(1.0, True, False), (0.5, True, True)]:
        lr = 1.0 / (1.0 + 0.5 * t) ** power
        s1 = np.cumsum(lr)
        s2 = np.cumsum(lr * lr)
        assert bool(s1[-1] - s1[10**5 - 1] > 1.0) is first_grows
        assert bool(s2[-1] - s2[10**5 - 1] > 1.0) is second_grows


# ---------------------------------------------------------------------- state dicts
def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


ALL_SCHEDULES = SCHEDULES + [("InverseTimeLR", dict(gamma=0.1, power=0.75))]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=[s[0] for s in ALL_SCHEDULES])
def test_state_dict_is_plain_and_resumes(schedule):
    name, kwargs = schedule

    def fresh():
        opt = _two_groups(optim, [Parameter(np.zeros(1)), Parameter(np.zeros(1))], 0.1)
        return opt, getattr(lr_scheduler, name)(opt, **kwargs)

    opt, sched = fresh()
    for _ in range(37):
        opt.step()
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert _plain(saved)
    if name == "LambdaLR":
        assert saved["lr_lambdas"] == [None, None]  # plain functions are not saved (PyTorch)
    reference = []
    for _ in range(40):
        opt.step()
        sched.step()
        reference.append(sched.get_last_lr())
    opt2, sched2 = fresh()
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    resumed = []
    for _ in range(40):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == reference


def test_lambda_state_dict_saves_callable_objects():
    class Factor:
        def __init__(self, rate: float) -> None:
            self.rate = rate

        def __call__(self, epoch: int) -> float:
            return self.rate**epoch

    opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, Factor(0.5))
    assert sched.state_dict()["lr_lambdas"] == [{"rate": 0.5}]
    other = lr_scheduler.LambdaLR(optim.SGD([Parameter(np.zeros(1))], lr=1.0), Factor(0.9))
    other.load_state_dict(sched.state_dict())
    assert other.lr_lambdas[0].rate == 0.5


def test_multistep_milestones_round_trip_as_list():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[3, 1, 3], gamma=0.5)
    state = sched.state_dict()
    assert state["milestones"] == [1, 3, 3]
    other = lr_scheduler.MultiStepLR(optim.SGD([Parameter(np.zeros(1))], lr=1.0), [7])
    other.load_state_dict(state)
    assert other.milestones == sched.milestones


def test_cosine_annealing_reaches_eta_min_at_t_max():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.2)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    for _ in range(10):
        opt.step()
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.01, rel_tol=1e-12)
