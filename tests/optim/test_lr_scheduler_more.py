"""LinearLR, ConstantLR, PolynomialLR, MultiplicativeLR, CosineAnnealingWarmRestarts and
SequentialLR: the same rates as PyTorch's over 30 steps (two parameter groups), state dicts
that resume a schedule exactly, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks.optim as optim
from nnblocks.nn import Parameter
from nnblocks.optim import lr_scheduler
from tests.conftest import import_torch

STEPS = 30


def _decay(epoch: int) -> float:
    return 0.9 if epoch % 3 else 0.5


def _decay_2(epoch: int) -> float:
    return 0.97


def _cosine(lib, opt):
    return lib.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)


# name, make(lr_scheduler module, optimizer) -> scheduler
SCHEDULES = [
    ("LinearLR", lambda m, o: m.LinearLR(o)),
    ("LinearLR_decay", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                              total_iters=12)),
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4)),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0)),
    ("PolynomialLR_default", lambda m, o: m.PolynomialLR(o)),
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, lr_lambda=[_decay, _decay_2])),
    ("WarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5)),
    ("WarmRestarts_mult", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                     eta_min=0.001)),
    ("Sequential_warmup_cosine", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), _cosine(m, o)], milestones=[5])),
    ("Sequential_three", lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.25, total_iters=3), m.ExponentialLR(o, gamma=0.9),
            m.StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 12])),
    ("Sequential_multistep_poly", lambda m, o: m.SequentialLR(
        o, [m.MultiStepLR(o, milestones=[2, 4], gamma=0.5), m.PolynomialLR(o, total_iters=10)],
        milestones=[6])),
]


def _optimizer(lib, params):
    return lib.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}], lr=0.1,
                   momentum=0.9)


def _rates(lib_optim, params, make, steps=STEPS):
    opt = _optimizer(lib_optim, params)
    sched = make(lib_optim.lr_scheduler, opt)
    rates = []
    for _ in range(steps):
        rates.append([g["lr"] for g in opt.param_groups] + list(sched.get_last_lr()))
        opt.step()
        sched.step()
    return rates, opt, sched


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("make", [s[1] for s in SCHEDULES], ids=[s[0] for s in SCHEDULES])
def test_rates_match_torch_over_30_steps(make) -> None:
    torch = import_torch()
    ours, _, _ = _rates(optim, [Parameter(np.zeros(2)), Parameter(np.zeros(1))], make)
    theirs, _, _ = _rates(torch.optim, [torch.zeros(2, requires_grad=True),
                                        torch.zeros(1, requires_grad=True)], make)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_warm_restarts_fractional_epochs_match_torch() -> None:
    torch = import_torch()
    epochs = [0.0, 0.5, 1.25, 2.9, 3.0, 7.5, 10.0, 20.2]
    out = []
    for lib, p in ((optim, Parameter(np.zeros(1))), (torch.optim, torch.zeros(1,
                                                                             requires_grad=True))):
        opt = lib.SGD([p], lr=0.2)
        sched = lib.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        rates = []
        for e in epochs:
            opt.step()
            sched.step(e)
            rates.append(opt.param_groups[0]["lr"])
        out.append(rates)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


@pytest.mark.parametrize("make", [s[1] for s in SCHEDULES], ids=[s[0] for s in SCHEDULES])
def test_state_dict_resumes_the_schedule(make) -> None:
    full, _, _ = _rates(optim, [Parameter(np.zeros(2)), Parameter(np.zeros(1))], make)
    first, opt, sched = _rates(optim, [Parameter(np.zeros(2)), Parameter(np.zeros(1))], make,
                               steps=11)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    params = [Parameter(np.zeros(2)), Parameter(np.zeros(1))]
    opt2 = _optimizer(optim, params)
    sched2 = make(lr_scheduler, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = []
    for _ in range(STEPS - 11):
        rest.append([g["lr"] for g in opt2.param_groups] + list(sched2.get_last_lr()))
        opt2.step()
        sched2.step()
    np.testing.assert_allclose(np.array(first + rest), np.array(full), rtol=1e-12)


def test_sequential_state_dict_holds_the_inner_states() -> None:
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    sched = lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt), lr_scheduler.ExponentialLR(opt, 0.9)], milestones=[3])
    state = sched.state_dict()
    assert [type(s) for s in state["_schedulers"]] == [dict, dict]
    assert "optimizer" not in state and state["_milestones"] == [3]


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), ValueError,
     r"LinearLR: start_factor must be in \(0, 1\]"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "LinearLR: end_factor"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=2.0), ValueError, "ConstantLR: factor"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "T_0 must be a positive int"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError,
     "T_mult must be an int >= 1"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [_decay, _decay]), ValueError,
     "MultiplicativeLR: expected 1 lr_lambdas, got 2"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o)], milestones=[2]),
     ValueError, "one milestone fewer than schedulers"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
     TypeError, "ReduceLROnPlateau needs a metric"),
    (lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(optim.SGD([Parameter(np.zeros(1))], lr=0.1))], []),
     ValueError, "belongs to another optimizer"),
])
def test_bad_arguments_say_what_was_expected(make, error, match) -> None:
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)
