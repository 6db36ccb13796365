"""``Optimizer``: parameter groups, lazily created per-parameter state, and state dicts.

An optimizer never lives inside a layer: it receives the parameters (or groups of them, each with
its own hyper-parameters) and, at every :meth:`Optimizer.step`, updates ``p.array`` in place from
``p.grad``. The update works on raw NumPy arrays, so nothing is recorded for backpropagation.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from nnblocks.core import Tensor, enable_grad
from nnblocks.core.version import bump


class _RequiredParameter:
    """Marks a hyper-parameter without a default: every group must then give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


#: default value of a hyper-parameter that each parameter group must specify
required = _RequiredParameter()

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base class of all optimizers, with PyTorch's ``torch.optim.Optimizer`` semantics.

    Args:
        params: an iterable of :class:`~nnblocks.nn.Parameter` (or ``(name, parameter)`` pairs, as
            ``named_parameters()`` gives), or an iterable of dicts, each a *parameter group*:
            ``{"params": [...], "lr": 0.1, ...}``. Hyper-parameters a group leaves out come from
            ``defaults``.
        defaults: the optimizer's default hyper-parameters.

    Subclasses implement :meth:`_check_hyper` (validation of one group's hyper-parameters),
    :meth:`_init_state` (state of one parameter, created lazily at its first update, as PyTorch
    does) and :meth:`_update` (the algorithm, on arrays). Parameters whose ``grad`` is ``None``
    are skipped.

    State layout (PyTorch's): ``self.state[param]`` is a dict such as
    ``{"step": 3, "exp_avg": array, ...}``; ``step`` counters are Python ints, buffers are arrays
    of the parameter's dtype.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self._check_hyper({k: v for k, v in self.defaults.items() if v is not required})
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Parameters or of dicts, "
                "got a single Tensor (wrap it in a list)"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ to implement
    def _check_hyper(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` naming the argument when a hyper-parameter in ``group`` is bad.

        ``group`` may lack keys (the defaults are checked before any group is complete).
        """

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Fill the empty ``state`` of parameter ``p`` before its first update."""

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update the array ``param`` in place from ``grad`` (same shape and dtype)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient.

        Args:
            closure: optional function that re-evaluates the model (with gradients recorded,
                even inside ``no_grad``) and returns the loss, which ``step`` then returns.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = self._grad_of(p)
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p, state, group)
                self._update(p.array, grad, state, group)
                bump(p)              # an in-place change, as PyTorch's (version counters)
        return loss

    def _grad_of(self, p: Tensor) -> np.ndarray:
        grad = p.grad.array
        if grad.shape != p.array.shape:
            raise ValueError(
                f"{type(self).__name__}.step: a parameter of shape {p.array.shape} has a "
                f"gradient of shape {grad.shape}"
            )
        if grad.dtype != p.array.dtype:
            grad = grad.astype(p.array.dtype)
        return grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to ``None`` (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones from defaults).

        Useful when fine-tuning: layers unfrozen later join the optimizer as a new group.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must be in an ordered collection (a list), not a set, "
                "so that the order is the same from run to run"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: either all parameters have names or none has")
            group["param_names"] = names
        for p in params:
            self._check_param(p)
        group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required "
                    f"optimization parameter {key}"
                )
            group.setdefault(key, default)
        self._check_hyper(group)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                raise ValueError(
                    f"{name}: all parameter groups must be given with names or all without"
                )
        self.param_groups.append(group)

    def _check_param(self, p: Any) -> None:
        name = type(self).__name__
        if not isinstance(p, Tensor):
            raise TypeError(f"{name} can only optimize Tensors, but one of the params is {p!r}")
        if not p.is_leaf:
            raise ValueError(f"{name}: can't optimize a non-leaf Tensor")
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"{name}: can only optimize floating-point tensors, got {p.dtype}")

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, made of plain values (no pickle needed).

        ``{"state": {index: {"step": int, "exp_avg": ndarray, ...}}, "param_groups": [{"lr": ...,
        ..., "params": [index, ...]}]}``: parameters are replaced by their position in the
        concatenation of the groups. Arrays are copies, so further steps don't change it.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, values in self.state.items():
            if id(p) in index_of and len(values) != 0:
                state[index_of[id(p)]] = {k: _copy_value(v) for k, v in values.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (of this library, or PyTorch's after tensors
        are turned into arrays; PyTorch tensors are accepted too).

        Groups are matched in order and must have the same sizes; floating arrays are cast to
        their parameter's dtype; ``step`` counters become ints.
        """
        name = type(self).__name__
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer has {len(self.param_groups)}"
            )
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(s['params'])} "
                    f"parameters in the state dict, {len(g['params'])} in the optimizer"
                )
        param_of = {}
        for g, s in zip(self.param_groups, saved_groups):
            for index, p in zip(s["params"], g["params"]):
                param_of[int(index)] = p
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, values in state_dict["state"].items():
            p = param_of.get(int(index))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {index}")
            state[p] = {k: _load_value(name, k, v, p) for k, v in values.items()}
        for g, s in zip(self.param_groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            if "betas" in s:
                s["betas"] = tuple(s["betas"])
        self.state = state
        self.param_groups = saved_groups

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def _copy_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value)


def _load_value(owner: str, key: str, value: Any, p: Tensor) -> Any:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    if key == "step":
        number = float(np.asarray(value))
        return int(number) if number.is_integer() else number
    if isinstance(value, (np.ndarray, np.generic)):
        if np.issubdtype(value.dtype, np.floating):
            if value.ndim > 0 and value.shape != p.array.shape:
                raise ValueError(
                    f"{owner}.load_state_dict: state '{key}' has shape {value.shape}, its "
                    f"parameter has shape {p.array.shape}"
                )
            return np.array(value, dtype=p.dtype, copy=True)
        return np.array(value, copy=True)
    return copy.deepcopy(value)


# ---------------------------------------------------------------------- shared checks
def check_nonnegative(owner: str, group: dict[str, Any], *keys: str) -> None:
    """``ValueError`` naming the first of ``keys`` in ``group`` that is negative or NaN."""
    for key in keys:
        if key in group:
            value = group[key]
            if not _is_number(value) or not value >= 0.0:
                raise ValueError(f"{owner}: invalid {key} value {value!r} (expected {key} >= 0)")


def check_unit_interval(owner: str, group: dict[str, Any], key: str, value: Any) -> None:
    """``ValueError`` unless ``0 <= value < 1`` (``key`` names the argument in the message)."""
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: invalid {key} value {value!r} (expected 0 <= {key} < 1)")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return not math.isnan(float(value))


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded as ``torch.Tensor.lerp_``.

    PyTorch evaluates ``start + w (end - start)`` for ``w < 0.5`` and
    ``end - (end - start)(1 - w)`` otherwise (more accurate near each end).
    """
    diff = end - start
    if abs(weight) < 0.5:
        start += weight * diff
    else:
        start[...] = end - diff * (1.0 - weight)
