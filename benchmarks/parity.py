"""Do both frameworks compute the same thing? A check run before any timing.

PyTorch builds the case's model; its weights are copied into the nnblocks model with
``load_state_dict``; both then run the same step on the same batch. Compared:

- training cases: the loss of step 1, every parameter's gradient after step 1 (by the norm of
  the difference, see :func:`_norm_error`), and the loss of step 2 (which sees the weights
  after one optimizer update);
- inference: the output;
- case 6: the result and the gradient of the chain's input;
- case 18 (a hand-written loop that updates its own weights): the loss of steps 1 and 2.

Dropout draws different masks in the two frameworks, so the check sets every dropout layer's
``p`` to 0 in both models (the timed run keeps the case's ``p``).

A timing is meaningless if the work differs, so a divergence is printed as a warning and kept in
``results.json``. nnblocks must also stay float32 end to end: a float64 loss or gradient is
flagged too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.cases import NNBLOCKS, PYTORCH, Case, build_model, make_data, make_step

#: relative tolerances (max |a - b| / max |b|) for float32 work
LOSS_RTOL = 1e-4            # the first loss and inference outputs: same weights, same data
GRAD_RTOL = 5e-3            # gradients, by norm: float32 sums in different orders, and one
#                             ReLU kink crossed differently moves one element (VGG: 1.8e-3)
STEP2_RTOL = 1e-3           # the loss after one update (Adam's first step is ±lr per weight)


def _relative_error(ours: Any, theirs: Any, floor: float = 1e-30) -> float:
    """max |ours - theirs| / max(max |theirs|, floor); inf when the shapes differ."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(b), initial=0.0)), floor)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def _norm_error(ours: Any, theirs: Any, floor: float = 1e-30) -> float:
    """||ours - theirs|| / max(||theirs||, floor) (Frobenius norms); inf when shapes differ.

    For gradients: a ReLU whose input float32 rounding puts on the other side of 0 (or a
    max-pool near-tie) moves one element's gradient, which the max-norm error of a large batch
    (VGG's first BatchNorm sums 131,072 values per channel) reports as ~1e-3 of the largest
    entry; the error over the whole array shows whether the computations agree."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(b)), floor)


def _array(t: Any) -> np.ndarray:
    """A tensor of either framework (or an array) as a NumPy array."""
    if hasattr(t, "detach"):
        return t.detach().numpy()
    return np.asarray(getattr(t, "array", t))


class _Report:
    def __init__(self, case: Case) -> None:
        self.result: dict[str, Any] = {"case": case.key, "status": "ok", "ok": True,
                                       "errors": {}, "messages": []}

    def compare(self, what: str, ours: Any, theirs: Any, rtol: float,
                floor: float = 1e-30, norm: bool = False) -> None:
        err = (_norm_error if norm else _relative_error)(_array(ours), _array(theirs), floor)
        self.result["errors"][what] = err
        if not err <= rtol:                                      # also catches NaN
            self.result["ok"] = False
            self.result["messages"].append(
                f"{what}: relative difference {err:.2e} exceeds {rtol:.0e}")

    def float32(self, what: str, t: Any) -> None:
        dtype = _array(t).dtype
        if dtype != np.float32:
            self.result["ok"] = False
            self.result["messages"].append(f"nnblocks {what} is {dtype}, expected float32")


def _gradients(model: Any) -> dict[str, Any]:
    return {name: p.grad for name, p in model.named_parameters()}


def check_parity(case: Case, seed: int = 0) -> dict[str, Any]:
    """Run the case once in both frameworks from the same weights and compare (see module doc).

    Returns ``{"case", "status", "ok", "errors": {what: relative error}, "messages": [...]}``.
    Needs PyTorch; raises whatever the nnblocks code raises.
    """
    report = _Report(case)
    data = make_data(case, seed)
    if case.kind == "ops":
        steps = [make_step(fw, case, None, data) for fw in (NNBLOCKS, PYTORCH)]
        ours, theirs = steps[0](), steps[1]()
        report.compare("result", ours, theirs, LOSS_RTOL)
        report.compare("input gradient", steps[0].leaf.grad, steps[1].leaf.grad, GRAD_RTOL)
        report.float32("result", ours)
        return report.result
    if case.kind == "loop":
        steps = [make_step(fw, case, None, data) for fw in (NNBLOCKS, PYTORCH)]
        report.compare("loss, step 1", steps[0](), steps[1](), LOSS_RTOL)
        report.compare("loss, step 2", steps[0](), steps[1](), STEP2_RTOL)
        return report.result

    PYTORCH.seed(seed)
    theirs_model = build_model(PYTORCH, case)
    ours_model = build_model(NNBLOCKS, case)
    ours_model.load_state_dict(
        {k: v.detach().numpy().copy() for k, v in theirs_model.state_dict().items()})
    for model in (ours_model, theirs_model):
        for module in model.modules():
            if type(module).__name__ == "Dropout":
                module.p = 0.0
    ours_step = make_step(NNBLOCKS, case, ours_model, data)
    theirs_step = make_step(PYTORCH, case, theirs_model, data)
    if case.kind == "infer":
        ours = ours_step()
        report.compare("output", ours, theirs_step(), LOSS_RTOL)
        report.float32("output", ours)
        return report.result

    ours = ours_step()
    report.compare("loss, step 1", ours, theirs_step(), LOSS_RTOL)
    report.float32("loss", ours)
    theirs_grads = _gradients(theirs_model)
    # A gradient that is zero in exact arithmetic (a conv bias followed by BatchNorm) is float32
    # noise in both frameworks: measure differences against 1% of the model's largest gradient.
    floor = 0.01 * max((float(np.max(np.abs(_array(g)))) for g in theirs_grads.values()
                        if g is not None), default=1e-28)
    for name, g in _gradients(ours_model).items():
        if g is None or theirs_grads.get(name) is None:
            report.result["ok"] = False
            report.result["messages"].append(f"gradient of {name} missing")
            continue
        report.compare(f"grad {name}", g, theirs_grads[name], GRAD_RTOL,
                       floor * np.sqrt(np.size(_array(g))), norm=True)
        report.float32(f"grad {name}", g)
    report.compare("loss, step 2", ours_step(), theirs_step(), STEP2_RTOL)
    return report.result
