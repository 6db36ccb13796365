r"""L-BFGS (Liu & Nocedal 1989) with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

A quasi-Newton method: from the last ``history_size`` pairs :math:`s_k = \theta_{k+1} -
\theta_k`, :math:`y_k = g_{k+1} - g_k` it applies an approximation of the inverse Hessian to the
gradient with the two-loop recursion, and steps along that direction. Each ``step(closure)``
runs up to ``max_iter`` iterations, re-evaluating the loss through ``closure``.

The algorithm, its stopping rules, its first step size and its line search (a bracketing phase
then a zoom with cubic interpolation, Nocedal & Wright, Algorithms 3.5-3.6) follow PyTorch's
implementation (itself after Schmidt's minFunc) step by step, so trajectories agree with
PyTorch's to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnblocks.core import enable_grad
from nnblocks.core.version import bump
from nnblocks.optim.optimizer import Optimizer, ParamsT


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to ``bounds``
    (default: the interval between the points); the midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = float(np.sqrt(d2_square))
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(obj: Callable[[float], tuple[float, np.ndarray]], t: float, d: np.ndarray,
                  f: float, g: np.ndarray, gtd: float, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9, max_ls: int = 25
                  ) -> tuple[float, np.ndarray, float, int]:
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions; returns the loss and
    gradient there, ``t`` and the number of evaluations."""
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[np.ndarray] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:                                # bracketing phase
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)                # extrapolate
        max_step = t * 10
        previous = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:                  # zoom phase
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:  # too close to a bound
            if insufficient or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = obj(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS``: ``step(closure)`` with a closure that zeroes the
    gradients, computes the loss, calls ``backward`` and returns the loss.

    Per step, up to ``max_iter`` iterations: the direction :math:`d = -H g` from the two-loop
    recursion over the stored pairs (a pair is kept only when :math:`y^\top s > 10^{-10}`;
    :math:`H_0 = (y^\top s / y^\top y) I`), a step of ``lr`` (the very first iteration
    :math:`\min(1, 1/\lVert g\rVert_1)\,` ``lr``), or the strong-Wolfe line search's step.
    Stops when :math:`\max|g| \le` ``tolerance_grad``, when the step or the change of loss is
    below ``tolerance_change``, or after ``max_eval`` evaluations.

    Args:
        params: the parameters (one group only, as PyTorch).
        lr: learning rate (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: loss evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient element is below it (default 1e-7).
        tolerance_change: stop when the step or loss change is below it (default 1e-9).
        history_size: pairs kept (default 100).
        line_search_fn: ``None`` or ``"strong_wolfe"``.

    State (of the first parameter, as PyTorch): ``func_evals``, ``n_iter``, the last direction
    ``d`` and step ``t``, the pairs ``old_dirs`` / ``old_stps``, ``ro``, ``H_diag``,
    ``prev_flat_grad``, ``prev_loss``.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval,
            "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
            "history_size": history_size, "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check_hyper(self, group: dict[str, Any]) -> None:
        lr = group.get("lr", 1)
        if not isinstance(lr, (int, float)) or lr < 0:
            raise ValueError(f"LBFGS: invalid learning rate: {lr}")
        search = group.get("line_search_fn")
        if search not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{search!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ flat views
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([
            np.zeros(p.array.size, p.array.dtype) if p.grad is None
            else p.grad.array.astype(p.array.dtype, copy=False).reshape(-1) for p in self._params
        ])

    def _add_step(self, t: float, d: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array += (t * d[offset:offset + n]).reshape(p.array.shape).astype(p.array.dtype)
            bump(p)                                  # an in-place change (version counters)
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with enable_grad():
            return float(closure())

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns the closure's first loss."""
        if closure is None:
            raise TypeError("LBFGS.step: a closure is required (a function that zeroes the "
                            "gradients, computes the loss, calls backward and returns it)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:                               # keep the pair (curvature > 0)
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 \
                else lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:                       # not a descent direction
                break
            evals = 0
            if group["line_search_fn"] is not None:
                start = [p.array.copy() for p in self._params]

                def along(step: float, start: list = start, d: np.ndarray = d) -> tuple:
                    self._add_step(step, d)
                    value = self._evaluate(closure)
                    grad = self._flat_grad()
                    for p, x in zip(self._params, start):
                        p.array[...] = x
                    return value, grad

                loss, flat_grad, t, evals = _strong_wolfe(
                    along, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_step(t, d)
                optimal = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_step(t, d)
                optimal = False
                if n_iter != max_iter:
                    loss = self._evaluate(closure)
                    flat_grad = self._flat_grad()
                    optimal = np.abs(flat_grad).max() <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


def _two_loop(g: np.ndarray, dirs: list, stps: list, ro: list, h_diag: float) -> np.ndarray:
    """:math:`-H g` by the two-loop recursion over the stored pairs (Nocedal & Wright, Alg. 7.4)."""
    q = -g
    al = [0.0] * len(dirs)
    for i in range(len(dirs) - 1, -1, -1):
        al[i] = float(stps[i] @ q) * ro[i]
        q = q - al[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        be_i = float(dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * stps[i]
    return r
