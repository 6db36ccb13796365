r"""The Elman recurrent network: :class:`RNN` over sequences and :class:`RNNCell` for one step."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.rnn import check_nonlinearity, rnn_cell, rnn_layer
from nnblocks.nn.recurrent import RNNBase, RNNCellBase


class RNN(RNNBase):
    r"""Elman network: a stack of recurrent layers with tanh or ReLU, as ``torch.nn.RNN``.

    For each layer, with :math:`x_t` the input (layer 0) or the previous layer's output:

    .. math::
        h_t = f(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad f = \tanh
        \text{ or } \mathrm{ReLU}

    Each layer and direction is one fused block over the whole sequence
    (:class:`~nnblocks.functional.rnn.RNNLayerBlock`, whose docstring derives backpropagation
    through time). Truncated BPTT: detach the carried state between chunks (see
    :mod:`nnblocks.nn.recurrent`).

    Args:
        input_size: features D of the input.
        hidden_size: features H of the state.
        num_layers: stacked recurrent layers.
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: whether to use ``b_ih`` and ``b_hh``.
        batch_first: input and output are ``(N, T, D)`` instead of ``(T, N, D)`` (not h_0/h_n).
        dropout: probability of dropout on the outputs of every layer but the last (training).
        bidirectional: run a second layer over the reversed sequence and concatenate.
        dtype: of the parameters, float32 by default.
        rng: generator for the initialization and dropout (``forward(rng=...)`` overrides).

    Parameters (PyTorch's names), for layer k, with ``_reverse`` appended for direction 2:
        ``weight_ih_l{k}`` ``(H, D)`` for k = 0, else ``(H, dirs * H)``; ``weight_hh_l{k}``
        ``(H, H)``; ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(H,)``; all initialized from
        :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        input: ``(T, N, D)``, ``(N, T, D)`` with batch_first, or unbatched ``(T, D)``;
        h_0: ``(L * dirs, N, H)`` (``(L * dirs, H)`` unbatched) or None for zeros.
        Returns ``output`` ``(T, N, dirs * H)`` (the last layer's :math:`h_t` for every t;
        ``(N, T, dirs * H)`` with batch_first) and ``h_n`` ``(L * dirs, N, H)`` (every layer's
        final state).

    >>> import nnblocks as nb
    >>> rnn = nb.nn.RNN(10, 20, num_layers=2, rng=np.random.default_rng(0))
    >>> x = nb.tensor(np.random.default_rng(1).standard_normal((5, 3, 10)), dtype=np.float32)
    >>> output, h_n = rnn(x)
    >>> output.shape, h_n.shape, output.dtype
    ((5, 3, 20), (2, 3, 20), dtype('float32'))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        check_nonlinearity("RNN", nonlinearity)
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype, rng=rng)
        self.nonlinearity = nonlinearity

    def forward(
        self, input: Any, hx: Any = None, *, rng: np.random.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Returns ``(output, h_n)``; ``rng`` draws the dropout masks (training only)."""

        def layer(x: Tensor, h0: Tensor | None, weights: list, reverse: bool) -> tuple:
            return rnn_layer(x, h0, *weights, nonlinearity=self.nonlinearity, reverse=reverse)

        return self._forward_one_state(input, hx, layer, rng)


class RNNCell(RNNCellBase):
    r"""One Elman step :math:`h' = f(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`, as
    ``torch.nn.RNNCell``.

    Args:
        input_size, hidden_size, bias, nonlinearity (``'tanh'`` or ``'relu'``): as
            :class:`RNN`; dtype (float32 by default); rng for the initialization.

    Parameters:
        ``weight_ih`` ``(H, D)``, ``weight_hh`` ``(H, H)``, ``bias_ih``, ``bias_hh`` ``(H,)``,
        from :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        input ``(N, D)`` or ``(D,)``; hx ``(N, H)`` / ``(H,)`` or None (zeros); returns h'
        of hx's shape.

    >>> import nnblocks as nb
    >>> cell = nb.nn.RNNCell(3, 4, rng=np.random.default_rng(0))
    >>> x = nb.tensor(np.ones((6, 2, 3), dtype=np.float32))
    >>> h = None
    >>> for t in range(6):
    ...     h = cell(x[t], h)
    >>> h.shape
    (2, 4)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, dtype=dtype, rng=rng)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._prepare_input(input)
        h = self._prepare_state(hx, "hx", x, batched)
        h = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.nonlinearity)
        return self._finish(h, batched)
