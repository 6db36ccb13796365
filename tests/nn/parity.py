"""Helpers for module-level PyTorch parity: copy a torch module's state into ours, then compare
outputs and the gradients of every input and every parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnblocks as nb
from tests.conftest import import_torch


def load_from_torch(ours: nb.nn.Module, theirs: Any) -> None:
    """``ours.load_state_dict`` of the torch module's state dict, converted to NumPy arrays."""
    ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})


def _pair(a: Any, torch: Any) -> tuple[Any, Any]:
    if not isinstance(a, np.ndarray):
        return a, a
    grad = bool(np.issubdtype(a.dtype, np.floating))
    return nb.tensor(a, requires_grad=grad), torch.from_numpy(a.copy()).requires_grad_(grad)


def assert_module_parity(ours: nb.nn.Module, theirs: Any, *inputs: Any, atol: float = 1e-10,
                         rtol: float = 1e-7, seed: int = 0, load: bool = True) -> None:
    """Run both modules in float64 on the same inputs; compare outputs, input gradients and
    parameter gradients (matched by name). Floating NumPy inputs are differentiated; integer
    arrays and other values are passed as constants."""
    torch = import_torch()
    theirs.double()
    theirs.zero_grad(set_to_none=True)
    ours.double()
    ours.zero_grad()
    if load:
        load_from_torch(ours, theirs)
    pairs = [_pair(a, torch) for a in inputs]
    y = ours(*[p[0] for p in pairs])
    ty = theirs(*[p[1] for p in pairs])
    np.testing.assert_allclose(y.array, ty.detach().numpy(), atol=atol, rtol=rtol,
                               err_msg=f"{ours!r}: outputs differ")
    if not ty.requires_grad:
        return
    u = np.random.default_rng(seed).standard_normal(y.shape)
    (y * nb.tensor(u)).sum().backward()
    (ty * torch.from_numpy(u)).sum().backward()
    for (x, tx) in pairs:
        if isinstance(x, nb.Tensor) and x.requires_grad:
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=atol, rtol=rtol,
                                       err_msg=f"{ours!r}: input gradients differ")
    their_params = dict(theirs.named_parameters())
    ours_params = dict(ours.named_parameters())
    assert sorted(ours_params) == sorted(their_params)
    for name, p in ours_params.items():
        np.testing.assert_allclose(p.grad, their_params[name].grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"{ours!r}: gradient of {name} differs")
