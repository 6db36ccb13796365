"""``Module``: owns parameters, buffers and sub-modules, and composes blocks. Does no calculus."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

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
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

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

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register state that is saved but not trained (e.g. running statistics), as
        ``torch.nn.Module.register_buffer``: a :class:`~nnblocks.Tensor` is kept as given (so
        ``self.name`` is that tensor), anything else is stored as a NumPy array; None records
        an absent buffer. ``persistent=False`` keeps it out of :meth:`state_dict`."""
        _check_name(self, name, "buffer")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        self.__dict__.pop(name, None)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = np.asarray(tensor)
        self._buffers[name] = tensor
        non_persistent = self.__dict__.setdefault("_non_persistent_buffers", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as the child ``name`` (``self.name = module``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module")
        if module is None:
            object.__setattr__(self, name, None)
            return
        setattr(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path ``target`` ("" is self), as PyTorch's."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            child = module._modules.get(item) if isinstance(module, Module) else None
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Any:
        """The buffer at the dotted path ``target``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer `{name}`")
        return module._buffers[name]

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None return replaces the
        positional arguments (a tuple, or one value). Returns a handle with ``remove()``."""
        return RemovableHandle(self.__dict__.setdefault("_forward_pre_hooks", OrderedDict()),
                               hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None return replaces
        the output. Returns a handle with ``remove()``."""
        return RemovableHandle(self.__dict__.setdefault("_forward_hooks", OrderedDict()), hook)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], (list, tuple)):      # NumPy arrays are accepted
            raise TypeError(
                f"{type(self).__name__}: input must be a Tensor or a NumPy array, got a "
                f"{type(args[0]).__name__}; wrap it with nb.tensor(...)"
            )
        d = self.__dict__
        pre, post = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        if not pre and not post:
            return self.forward(*args, **kwargs)
        for hook in list(pre.values()) if pre else ():
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(post.values()) if post else ():
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names; a module reachable
        twice is given once unless ``remove_duplicate=False`` (PyTorch's signature)."""
        if isinstance(memo, str):              # named_modules("prefix"), nnblocks' old form
            memo, prefix = None, memo
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                       remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names (each module once)."""
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_name, m in modules:
            for name, value in getattr(m, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (each shared parameter once); only this
        module's own with ``recurse=False``."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.numel() for p in self.parameters()
                       if p.requires_grad or not trainable_only))

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every sub-module; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """``train(False)``: dropout off, normalization layers use their running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (PyTorch's default), or to zeros in
        place with ``set_to_none=False``."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter; returns self."""
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
                    p.array = p.array.astype(dtype)
                    p.grad = None
            for name, b in list(m._buffers.items()):
                if isinstance(b, Tensor) and np.issubdtype(b.dtype, np.floating):
                    b.array = b.array.astype(dtype)
                elif b is not None and np.issubdtype(b.dtype, np.floating):
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

    def half(self) -> Module:
        """Refused: nnblocks computes in float32 and float64."""
        raise TypeError(f"{type(self).__name__}.half: float16 is not supported (nnblocks "
                        f"computes in float32 and float64); use .float()")

    def bfloat16(self) -> Module:
        """Refused: nnblocks computes in float32 and float64."""
        raise TypeError(f"{type(self).__name__}.bfloat16: bfloat16 is not supported (nnblocks "
                        f"computes in float32 and float64); use .float()")

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every sub-module and self (as ``torch.nn.Module.apply``)."""
        for m in self._modules.values():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ state dict
    def state_dict(self, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, as PyTorch's: tensors cut from the
        graph that **share** the module's arrays (``sd["weight"].copy_(w)`` changes the model;
        take ``copy.deepcopy(sd)`` or ``{k: v.clone() ...}`` for a snapshot). With
        ``keep_vars`` the parameters themselves."""
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination
        for mod_name, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            pre = f"{mod_name}." if mod_name else ""
            for name, p in m._parameters.items():
                out[pre + name] = p if keep_vars else p.data
            skip = m.__dict__.get("_non_persistent_buffers", ())
            for name, b in m._buffers.items():
                if b is not None and name not in skip:
                    out[pre + name] = b if keep_vars else Tensor(_to_array(b))
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy arrays into parameters and buffers; values may be NumPy arrays, tensors or
        anything ``np.asarray`` accepts (e.g. a PyTorch ``state_dict`` after ``.numpy()``).

        Returns ``(missing_keys, unexpected_keys)`` (a named tuple, as PyTorch's). With
        ``strict`` either list being non-empty raises RuntimeError (also a KeyError) in
        PyTorch's words; a shape mismatch always raises (RuntimeError, also a ValueError),
        listing every mismatched key. Nothing is loaded when an error is raised.
        """
        own: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, m in self.named_modules(remove_duplicate=False):
            pre = f"{mod_name}." if mod_name else ""
            for name in m._parameters:
                own[pre + name] = (m, name, True)
            skip = m.__dict__.get("_non_persistent_buffers", ())
            for name, b in m._buffers.items():
                if b is not None and name not in skip:
                    own[pre + name] = (m, name, False)
        given = {key: _to_array(value) for key, value in state_dict.items()}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        heading = f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
        if strict and (missing or unexpected):
            lines = []
            for words, keys in (("Missing", missing), ("Unexpected", unexpected)):
                if keys:
                    quoted = ", ".join(f'"{k}"' for k in keys)
                    lines.append(f"{words} key(s) in state_dict: {quoted}. ")
            raise StateDictKeyError(heading + "\n\t".join(lines))
        loads = []
        mismatches = []
        for key, value in given.items():
            if key not in own:
                continue
            m, name, is_param = own[key]
            current = m._parameters[name].array if is_param else _to_array(m._buffers[name])
            if value.shape != current.shape:
                mismatches.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{value.shape} from checkpoint, the shape in current model "
                                  f"is {current.shape}.")
            loads.append((m, name, is_param, value, current))
        if mismatches:                               # check everything before changing anything
            raise StateDictShapeError(heading + "\n\t".join(mismatches))
        for m, name, is_param, value, current in loads:
            if is_param:
                m._parameters[name].array = value.astype(current.dtype, copy=True)
            elif isinstance(m._buffers[name], Tensor):
                m._buffers[name].array = value.astype(current.dtype, copy=True)
            else:
                m._buffers[name] = value.astype(current.dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

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


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns, as PyTorch's ``_IncompatibleKeys``."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class StateDictKeyError(RuntimeError, KeyError):
    """Missing or unexpected keys in a strict ``load_state_dict`` (PyTorch raises
    RuntimeError; nnblocks' earlier KeyError is kept as a base)."""

    def __str__(self) -> str:
        return RuntimeError.__str__(self)


class StateDictShapeError(RuntimeError, ValueError):
    """A state-dict entry whose shape differs from the module's (RuntimeError in PyTorch)."""


class RemovableHandle:
    """The handle a hook registration returns: ``remove()`` unregisters the hook; usable as
    a context manager (removed on exit)."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict, hook: Callable[..., Any]) -> None:
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _check_name(module: Module, name: Any, kind: str) -> None:
    """PyTorch's rules for buffer and child names."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if (kind == "module" and getattr(module, name, None) is not None
            and name not in module._modules):
        raise KeyError(f"attribute '{name}' already exists")


def _to_array(value: Any) -> np.ndarray:
    """A state-dict value as an array: NumPy arrays, nnblocks tensors or PyTorch tensors."""
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, "detach") and hasattr(value, "cpu"):      # a torch.Tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)

