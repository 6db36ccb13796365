r"""What the recurrent modules share: parameter layout, shape checks, stacking layers.

:class:`RNNBase` holds the parameters of a stack of recurrent layers with PyTorch's names and
layouts (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, and the
same with a ``_reverse`` suffix for the second direction), so a PyTorch ``state_dict`` loads
unchanged. Its forward runs one fused block per layer and direction
(:mod:`nnblocks.functional.rnn`, :mod:`~nnblocks.functional.lstm`,
:mod:`~nnblocks.functional.gru`): layer :math:`k > 0` reads the outputs of layer :math:`k - 1`
(both directions concatenated along features), with dropout between layers in training mode.

**Truncated backpropagation through time.** A long sequence is cut into chunks and the state
is carried from chunk to chunk; ``h.detach()`` cuts the graph there, so each backward pass
stops at the chunk boundary (gradients flow through at most one chunk) while the forward pass
still sees the whole history:

>>> import nnblocks as nb
>>> rnn = nb.nn.RNN(1, 8, rng=np.random.default_rng(0))
>>> stream = nb.tensor(np.random.default_rng(1).standard_normal((20, 4, 1)), dtype=np.float32)
>>> h = None
>>> for start in range(0, 20, 5):                        # chunks of 5 time steps
...     output, h = rnn(stream[start:start + 5], h)
...     loss = (output * output).mean()
...     rnn.zero_grad()
...     loss.backward()                                  # BPTT through this chunk only
...     # ... update the parameters here (an optimizer step) ...
...     h = h.detach()                                   # LSTM: (h.detach(), c.detach())
>>> rnn.weight_hh_l0.grad.shape
(8, 8)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor, as_tensor
from nnblocks.functional.dropout import dropout
from nnblocks.functional.shape import cat, getitem, squeeze, stack, transpose, unsqueeze
from nnblocks.nn import init
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype

#: stacked gate blocks in the weights of each kind of layer
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_sizes(who: str, input_size: int, hidden_size: int) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")


def _reset_uniform(module: Module, hidden_size: int, rng: np.random.Generator | None) -> None:
    r"""PyTorch's default for every recurrent weight and bias:
    :math:`\mathcal U(-1/\sqrt{H}, 1/\sqrt{H})`."""
    bound = 1.0 / math.sqrt(hidden_size)
    rng = get_rng(rng)
    for p in module.parameters():
        init.uniform_(p, -bound, bound, rng=rng)


class RNNBase(Module):
    """The common base of :class:`~nnblocks.nn.RNN`, :class:`~nnblocks.nn.LSTM` and
    :class:`~nnblocks.nn.GRU` (as ``torch.nn.RNNBase``).

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            PyTorch.
        dtype: of the parameters (float32 by default, like PyTorch).
        rng: generator for the initialization and, unless ``forward`` gets its own, for dropout.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if mode not in GATES:
            raise ValueError(f"{who}: unknown mode {mode!r}, expected one of {sorted(GATES)}")
        _check_sizes(who, input_size, hidden_size)
        if not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
            raise ValueError(f"{who}: num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"{who}: dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{who}: dropout is applied between recurrent layers, so dropout={dropout} "
                "with num_layers=1 has no effect", UserWarning, stacklevel=2,
            )
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.rng = rng
        self._flat_weights_names = self._register_weights(parameter_dtype(dtype))
        self.reset_parameters(rng)

    def _register_weights(self, dtype: np.dtype) -> list[str]:
        """Create every layer's and direction's parameters (zeros) in PyTorch's order."""
        directions = self.num_directions
        gates = GATES[self.mode] * self.hidden_size
        names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = {
                    f"weight_ih_l{layer}{suffix}": (gates, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gates, self.hidden_size),
                }
                if self.bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gates,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gates,)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(np.zeros(shape, dtype=dtype)))
                    names.append(name)
        return names

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        r"""Every weight and bias from :math:`\mathcal U(-1/\sqrt{H}, 1/\sqrt{H})` (PyTorch)."""
        _reset_uniform(self, self.hidden_size, rng)

    def flatten_parameters(self) -> None:
        """No-op, for code written for PyTorch (which compacts the weights for cuDNN)."""

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction: ``[w_ih, w_hh(, b_ih, b_hh)]``."""
        per = 4 if self.bias else 2
        flat = [getattr(self, name) for name in self._flat_weights_names]
        return [flat[i:i + per] for i in range(0, len(flat), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # ------------------------------------------------------------------ forward helpers
    def _prepare_input(self, input: Any) -> tuple[Tensor, bool]:
        """The input as ``(T, N, D)`` and whether it was batched."""
        who = type(self).__name__
        x = as_tensor(input)
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{who}: expected input of shape {layout} (batch_first={self.batch_first}) or "
                f"unbatched (T, D), got {x.ndim}-D input of shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: input has {x.shape[-1]} features (last dim of shape {x.shape}, read as "
                f"{layout if x.ndim == 3 else '(T, D)'}), expected input_size={self.input_size}"
            )
        weight = self.weight_ih_l0
        if x.dtype != weight.dtype:
            raise TypeError(
                f"{who}: input has dtype {x.dtype} but the parameters have dtype "
                f"{weight.dtype}; cast one of them (module.double() / .float())"
            )
        if 0 in x.shape[:-1]:
            raise ValueError(f"{who}: input of shape {x.shape} has an empty dimension")
        if x.ndim == 2:
            return unsqueeze(x, 1), False
        if self.batch_first:
            x = transpose(x, 0, 1)
        return x, True

    def _prepare_state(self, state: Any, name: str, x: Tensor, batched: bool) -> Tensor:
        """An initial state as ``(L * dirs, N, H)``, checked against the input."""
        who = type(self).__name__
        s = as_tensor(state)
        rows = self.num_layers * self.num_directions
        if not batched:
            if s.ndim != 2:
                raise ValueError(
                    f"{who}: for unbatched 2-D input {name} must be 2-D "
                    f"(num_layers * num_directions, hidden_size) = {(rows, self.hidden_size)}, "
                    f"got shape {s.shape}"
                )
            s = unsqueeze(s, 1)
        expected = (rows, x.shape[1], self.hidden_size)
        if s.shape != expected:
            hint = ""
            if s.ndim == 3 and s.shape[1] == x.shape[0] and batched:
                hint = (
                    f"; its batch size {s.shape[1]} equals the input's time length: is "
                    f"batch_first={self.batch_first} right for this input?"
                )
            raise ValueError(
                f"{who}: {name} has shape {s.shape}, expected {expected} = (num_layers * "
                f"num_directions, N, hidden_size) for input (T, N, D) = {x.shape}{hint}"
            )
        if s.dtype != x.dtype:
            raise TypeError(f"{who}: {name} has dtype {s.dtype} but input has dtype {x.dtype}")
        return s

    def _run_layers(
        self,
        x: Tensor,
        states: Sequence[Tensor | None],
        layer_fn: Callable[..., tuple],
        rng: np.random.Generator | None,
    ) -> tuple[Tensor, list[Tensor]]:
        """Stack the layers; ``layer_fn(x, states_k, weights, reverse)`` runs one layer-direction
        and returns ``(y, *final_states)``. Returns the last layer's output ``(T, N, dirs H)`` and
        each final state stacked over layers and directions ``(L * dirs, N, H)``."""
        finals: list[list[Tensor]] = [[] for _ in states]
        weights = self.all_weights
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                init_k = [None if s is None else getitem(s, k) for s in states]
                y, *ends = layer_fn(x, init_k, weights[k], direction == 1)
                outputs.append(y)
                for store, end in zip(finals, ends):
                    store.append(end)
            x = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, rng=rng if rng is not None else self.rng)
        return x, [stack(store, dim=0) for store in finals]

    def _forward_one_state(self, input: Any, hx: Any, layer_fn: Callable[..., tuple],
                           rng: np.random.Generator | None) -> tuple[Tensor, Tensor]:
        """``forward`` of the layers with one state h (RNN, GRU): ``(output, h_n)``;
        ``layer_fn(x, h0, weights, reverse)`` runs one layer-direction."""
        x, batched = self._prepare_input(input)
        h0 = None if hx is None else self._prepare_state(hx, "h_0", x, batched)

        def layer(x: Tensor, states: list, weights: list, reverse: bool) -> tuple:
            return layer_fn(x, states[0], weights, reverse)

        y, (h_n,) = self._run_layers(x, [h0], layer, rng)
        return self._finish_output(y, batched), self._finish_state(h_n, batched)

    def _finish_output(self, y: Tensor, batched: bool) -> Tensor:
        if not batched:
            return squeeze(y, 1)
        if self.batch_first:
            return transpose(y, 0, 1)
        return y

    @staticmethod
    def _finish_state(h: Tensor, batched: bool) -> Tensor:
        return h if batched else squeeze(h, 1)


class RNNCellBase(Module):
    """The common base of the cells: one time step, parameters ``weight_ih`` ``(G H, D)``,
    ``weight_hh`` ``(G H, H)``, ``bias_ih``, ``bias_hh`` ``(G H,)`` as in PyTorch."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bool(bias)
        dtype = parameter_dtype(dtype)
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(np.zeros((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.zeros((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.zeros(gates, dtype=dtype))
            self.bias_hh = Parameter(np.zeros(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        r"""Every weight and bias from :math:`\mathcal U(-1/\sqrt{H}, 1/\sqrt{H})` (PyTorch)."""
        _reset_uniform(self, self.hidden_size, rng)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare_input(self, input: Any) -> tuple[Tensor, bool]:
        """The input as ``(N, D)`` and whether it was batched."""
        who = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{who}: expected input of shape (N, D) or unbatched (D,), got {x.ndim}-D "
                f"input of shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{who}: input has {x.shape[-1]} features (shape {x.shape}), expected "
                f"input_size={self.input_size}"
            )
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{who}: input has dtype {x.dtype} but the parameters have dtype "
                f"{self.weight_ih.dtype}; cast one of them (module.double() / .float())"
            )
        if x.ndim == 1:
            return unsqueeze(x, 0), False
        return x, True

    def _prepare_state(self, state: Any, name: str, x: Tensor, batched: bool) -> Tensor | None:
        """A state as ``(N, H)`` (None stays None: zeros), checked against the input."""
        if state is None:
            return None
        who = type(self).__name__
        s = as_tensor(state)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if s.shape != expected:
            raise ValueError(
                f"{who}: {name} has shape {s.shape}, expected {expected} for input of shape "
                f"{x.shape if batched else x.shape[1:]}"
            )
        if s.dtype != x.dtype:
            raise TypeError(f"{who}: {name} has dtype {s.dtype} but input has dtype {x.dtype}")
        return s if batched else unsqueeze(s, 0)

    @staticmethod
    def _finish(h: Tensor, batched: bool) -> Tensor:
        return h if batched else squeeze(h, 0)
