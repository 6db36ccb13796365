r"""What the recurrent blocks share: input checks, the input projection, the weight gradients.

A recurrent layer applies one function with shared parameters :math:`\theta` at every time step,

.. math::
    h_t = f(h_{t-1}, x_t; \theta), \qquad t = 1 \dots T,

so unfolded over a sequence it is a deep feed-forward network whose layers share weights.
Backpropagation through time (BPTT) is the chain rule on that unfolded graph: the gradient
reaching :math:`h_t` is the sum of what the output at time t receives and what flows back from
:math:`h_{t+1}`, and each shared weight's gradient is the **sum over time** of its per-step
gradients.

The fused blocks (:class:`~nnblocks.functional.rnn.RNNLayerBlock`,
:class:`~nnblocks.functional.lstm.LSTMLayerBlock`,
:class:`~nnblocks.functional.gru.GRULayerBlock`) each run one layer in one direction over the
whole sequence. Their common structure:

- forward: the input part of every pre-activation, :math:`X W_{ih}^\top + b_{ih}`, for all T
  steps at once as **one GEMM** ``(T N, D) @ (D, G)``; then a Python loop over time adds
  :math:`h_{t-1} W_{hh}^\top` and applies the gates;
- backward: a loop over time, backwards, computes the pre-activation gradients
  :math:`g_{a_t}` (T matrix products with :math:`W_{hh}`), then **three GEMMs over all steps**
  give :math:`g_X = G_a W_{ih}`, :math:`g_{W_{ih}} = G_a^\top X` and
  :math:`g_{W_{hh}} = G_a^\top H_{prev}` — the sums over time of parameter sharing.

``reverse=True`` runs the layer from :math:`t = T` down to 1 (the backward half of a
bidirectional layer): the sequence is flipped on the way in and the outputs flipped back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.functional.shape import unsqueeze

Array = np.ndarray


def sigmoid(x: Array) -> Array:
    r""":math:`\sigma(x) = \tfrac12 + \tfrac12 \tanh(x / 2)`: one ufunc, never overflows, keeps
    the dtype of ``x``."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def check_layer(
    name: str,
    x: Array,
    states: dict[str, Array],
    w_ih: Array,
    w_hh: Array,
    b_ih: Array | None,
    b_hh: Array | None,
    gates: int,
) -> tuple[int, int, int, int]:
    """Validate the arrays of one recurrent layer; return ``(T, N, D, H)``.

    ``gates`` is the number of stacked gate blocks in the weights (1 RNN, 4 LSTM, 3 GRU).
    """
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise ValueError(
            f"{name}: input must have shape (T, N, D) (time, batch, features), "
            f"got shape {np.shape(x)}"
        )
    T, N, D = x.shape
    if T == 0:
        raise ValueError(f"{name}: input has an empty sequence (T = 0), shape {x.shape}")
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(
            f"{name}: weight_hh must have shape ({gates} * hidden_size, hidden_size), "
            f"got {w_hh.shape}"
        )
    H = w_hh.shape[1]
    expected = {"weight_ih": (gates * H, D), "bias_ih": (gates * H,), "bias_hh": (gates * H,)}
    given = {"weight_ih": w_ih, "bias_ih": b_ih, "bias_hh": b_hh}
    for key, hidden in states.items():
        expected[key] = (N, H)
        given[key] = hidden
    for key, array in given.items():
        if array is None:
            continue
        if array.shape != expected[key]:
            raise ValueError(
                f"{name}: {key} has shape {array.shape}, expected {expected[key]} "
                f"(input (T, N, D) = {x.shape}, hidden_size {H})"
            )
        if array.dtype != x.dtype:
            raise TypeError(
                f"{name}: {key} has dtype {array.dtype} but input has dtype {x.dtype}; "
                "cast the module or the input (e.g. .double())"
            )
    if w_hh.dtype != x.dtype:
        raise TypeError(f"{name}: weight_hh has dtype {w_hh.dtype} but input has {x.dtype}")
    return T, N, D, H


def check_cell_input(name: str, x: Any) -> None:
    """A cell takes one time step: input ``(N, D)``."""
    if np.ndim(getattr(x, "array", x)) != 2:
        raise ValueError(
            f"{name}: input must have shape (N, D) (batch, features), "
            f"got shape {np.shape(getattr(x, 'array', x))}"
        )


def zeros_state(x: Any, w_hh: Any, batch_axis: int) -> Array:
    """The default initial state: zeros ``(N, H)`` of the input's dtype, N read from
    ``x.shape[batch_axis]`` and H from ``w_hh`` ``(G H, H)``."""
    data = np.asarray(getattr(x, "array", x))
    hidden = np.shape(getattr(w_hh, "array", w_hh))[-1]
    return np.zeros((data.shape[batch_axis], hidden), dtype=data.dtype)


def initial_states(x: Any, states: tuple, w_hh: Any, batch_axis: int) -> tuple:
    """The states a layer block starts from: each given one, or zeros (:func:`zeros_state`)
    for None."""
    zeros = None
    out = []
    for state in states:
        if state is None:
            if zeros is None:
                zeros = zeros_state(x, w_hh, batch_axis)
            state = zeros
        out.append(state)
    return tuple(out)


def run_layer(block: Any, x: Any, states: tuple, weights: tuple, **hyper: Any) -> tuple:
    """``block`` (one of the fused layer blocks) over a ``(T, N, D)`` sequence from ``states``
    (None: zeros): ``(output, *final states)``. Shared by the ``*_layer`` wrappers."""
    return block.apply(x, *initial_states(x, states, weights[1], 1), *weights, **hyper)


def run_cell(name: str, block: Any, x: Any, states: tuple, weights: tuple,
             **hyper: Any) -> tuple:
    """One step of ``block``: a sequence of length 1, input ``(N, D)``; returns the final
    states. Shared by the ``*_cell`` wrappers (``name`` for errors)."""
    check_cell_input(name, x)
    states = initial_states(x, states, weights[1], 0)
    return block.apply(unsqueeze(x, 0), *states, *weights, **hyper)[1:]


def time_order(x: Array, reverse: bool) -> Array:
    """The sequence in processing order: ``x`` itself, or flipped along time for ``reverse``."""
    return x[::-1] if reverse else x


def input_projection(xs: Array, w_ih: Array, b: Array | None) -> Array:
    r""":math:`X W_{ih}^\top + b` for every time step as one GEMM.

    Shapes:
        xs: ``(T, N, D)``; w_ih: ``(G, D)``; b: ``(G,)`` or None; result ``(T, N, G)``.
    """
    T, N, D = xs.shape
    a = xs.reshape(T * N, D) @ w_ih.T                             # (T N, G)
    if b is not None:
        a += b
    return a.reshape(T, N, -1)                                    # (T, N, G)


def add_biases(b_ih: Array | None, b_hh: Array | None) -> Array | None:
    """``b_ih + b_hh`` where both are given, the one that is, or None."""
    if b_ih is None:
        return b_hh
    if b_hh is None:
        return b_ih
    return b_ih + b_hh


def parameter_grads(
    ga_x: Array,
    ga_h: Array,
    xs: Array,
    h_prev: Array,
    w_ih: Array,
    has_b_ih: bool,
    has_b_hh: bool,
    reverse: bool,
) -> tuple[Array, Array, Array, Array | None, Array | None]:
    r"""The gradients of a layer's input and weights from its pre-activation gradients.

    .. math::
        g_X = G_x W_{ih}, \quad g_{W_{ih}} = \sum_t g_{a^x_t}^\top x_t = G_x^\top X, \quad
        g_{W_{hh}} = \sum_t g_{a^h_t}^\top h_{t-1} = G_h^\top H_{prev}, \quad
        g_{b_{ih}} = \sum_{t,n} g_{a^x_t}, \quad g_{b_{hh}} = \sum_{t,n} g_{a^h_t}

    where :math:`a^x_t` / :math:`a^h_t` are the parts of the pre-activations that come from
    :math:`x_t` / :math:`h_{t-1}` (the same array for RNN and LSTM; GRU's candidate gate differs).

    Shapes:
        ga_x, ga_h: ``(T, N, G)``; xs: ``(T, N, D)`` in processing order; h_prev: ``(T, N, H)``,
        :math:`h_{t-1}` for each step. Returns gx ``(T, N, D)`` in the input's time order,
        g_w_ih ``(G, D)``, g_w_hh ``(G, H)``, g_b_ih and g_b_hh ``(G,)`` (None when absent).
    """
    T, N, G = ga_x.shape
    D = xs.shape[2]
    H = h_prev.shape[2]
    gx2 = ga_x.reshape(T * N, G)                                  # (T N, G)
    gh2 = ga_h.reshape(T * N, G)                                  # (T N, G)
    gx = (gx2 @ w_ih).reshape(T, N, D)                            # (T, N, D)
    g_w_ih = gx2.T @ xs.reshape(T * N, D)                         # (G, D)
    g_w_hh = gh2.T @ h_prev.reshape(T * N, H)                     # (G, H)
    g_b_ih = gx2.sum(axis=0) if has_b_ih else None                # (G,)
    g_b_hh = gh2.sum(axis=0) if has_b_hh else None                # (G,)
    return time_order(gx, reverse), g_w_ih, g_w_hh, g_b_ih, g_b_hh
