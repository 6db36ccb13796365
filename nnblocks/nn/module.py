"""``Module``: owns parameters, buffers and sub-modules, and composes blocks. Does no calculus."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.core.dtypes import check_device, is_device
from nnblocks.nn.parameter import Parameter


class Module:
    """Base class of every layer and model, with PyTorch's attribute-registration semantics.

    Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers it;
    :meth:`register_buffer` registers state that is saved but not trained (e.g. BatchNorm's
    running statistics). Subclasses implement :meth:`forward`; call the module itself.

    Inputs: a :class:`~nnblocks.core.Tensor`, or a NumPy array (taken as a tensor that needs no
    gradient, as blocks take arrays). A Python list or tuple as the input is refused with a
    ``TypeError`` saying to wrap it with ``nb.tensor`` (its dtype would be a guess).
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if isinstance(value, Parameter):
            target = self._parameters
        elif isinstance(value, Module):
            target = self._modules
        elif name in self.__dict__.get("_buffer_names", ()):
            target = self._buffers
        else:
            target = None
        for store in (self._parameters, self._buffers, self._modules):
            if store is not target:
                store.pop(name, None)
        if target is None:
            object.__setattr__(self, name, value)
            return
        target[name] = value                     # replacing keeps the registration order
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (None records an absent optional parameter)."""
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
            return
        setattr(self, name, param)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """Register a non-trainable array that is part of the state dict."""
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        self.__dict__.pop(name, None)
        self._buffers[name] = None if value is None else np.asarray(value)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is None:
            object.__setattr__(self, name, None)
            return
        setattr(self, name, module)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], (list, tuple)):      # NumPy arrays are accepted
            raise TypeError(
                f"{type(self).__name__}: input must be a Tensor or a NumPy array, got a "
                f"{type(args[0]).__name__}; wrap it with nb.tensor(...)"
            )
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names."""
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (each shared parameter once)."""
        seen: set[int] = set()
        for mod_name, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for mod_name, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[np.ndarray]:
        for _, b in self.named_buffers():
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.numel() for p in self.parameters()
                       if p.requires_grad or not trainable_only))

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the accumulated gradients of every parameter."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)``, as PyTorch:
        cast every floating parameter and buffer to the dtype in place; the device must be the
        CPU (any other raises RuntimeError, see :mod:`nnblocks.core.dtypes`). Returns self."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if is_device(arg):
                device = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            else:
                dtype = arg
        check_device(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        for m in self.modules():
            for p in m._parameters.values():
                if np.issubdtype(p.dtype, np.floating):
                    p.data = p.data.astype(dtype)
                    p.grad = None
            for name, b in list(m._buffers.items()):
                if b is not None and np.issubdtype(b.dtype, np.floating):
                    m._buffers[name] = b.astype(dtype)
        return self

    def cpu(self) -> Module:
        """Self: the module is on the CPU already."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Module:
        """Refused: nnblocks runs on the CPU."""
        return self.to("cuda")

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every sub-module and self (as ``torch.nn.Module.apply``)."""
        for m in self._modules.values():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameters and buffers by dotted name, as NumPy arrays (copies)."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for mod_name, m in self.named_modules():
            pre = f"{mod_name}." if mod_name else ""
            for name, p in m._parameters.items():
                out[pre + name] = p.data.copy()
            for name, b in m._buffers.items():
                if b is not None:
                    out[pre + name] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> tuple[list, list]:
        """Copy arrays into parameters and buffers; values may be NumPy arrays, tensors or
        anything ``np.asarray`` accepts (e.g. a PyTorch ``state_dict`` after ``.numpy()``).

        Returns ``(missing_keys, unexpected_keys)``. With ``strict`` either list being
        non-empty raises ``KeyError``; a shape mismatch always raises ``ValueError`` (listing
        every mismatched key). Nothing is loaded when an error is raised.
        """
        own: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, m in self.named_modules():
            pre = f"{mod_name}." if mod_name else ""
            for name in m._parameters:
                own[pre + name] = (m, name, True)
            for name, b in m._buffers.items():
                if b is not None:
                    own[pre + name] = (m, name, False)
        given = {key: _to_array(value) for key, value in state_dict.items()}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        loads = []
        mismatches = []
        for key, value in given.items():
            if key not in own:
                continue
            m, name, is_param = own[key]
            current = m._parameters[name].data if is_param else m._buffers[name]
            if value.shape != current.shape:
                mismatches.append(f"'{key}' has shape {value.shape} in the state dict, "
                                  f"expected {current.shape}")
            loads.append((m, name, is_param, value, current))
        if mismatches:                               # check everything before changing anything
            raise ValueError(
                f"load_state_dict for {type(self).__name__}: " + "; ".join(mismatches)
            )
        for m, name, is_param, value, current in loads:
            if is_param:
                m._parameters[name].data = value.astype(current.dtype, copy=True)
            else:
                m._buffers[name] = value.astype(current.dtype, copy=True)
        return missing, unexpected

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """One line of the module's own settings, shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: settings on one line, or one line per setting and child."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _to_array(value: Any) -> np.ndarray:
    """A state-dict value as an array: NumPy arrays, nnblocks tensors or PyTorch tensors."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):      # a torch.Tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)

