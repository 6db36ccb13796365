r"""Long short-term memory: :class:`LSTM` over sequences and :class:`LSTMCell` for one step."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.lstm import lstm_cell, lstm_layer
from nnblocks.nn.recurrent import RNNBase, RNNCellBase


def _pair(who: str, hx: Any) -> tuple[Any, Any]:
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"{who}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
    return hx[0], hx[1]


class LSTM(RNNBase):
    r"""A stack of LSTM layers, as ``torch.nn.LSTM`` (gates in PyTorch's order i, f, g, o).

    For each layer:

    .. math::
        [i_t; f_t; g_t; o_t] &= [\sigma; \sigma; \tanh; \sigma]
            (W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Each layer and direction is one fused block over the sequence
    (:class:`~nnblocks.functional.lstm.LSTMLayerBlock`, with the BPTT derivation).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
            rng: as :class:`~nnblocks.nn.RNN`.
        proj_size: only 0 is supported (PyTorch's projected LSTM is not implemented).

    Parameters (PyTorch's names; ``_reverse`` suffix for direction 2):
        ``weight_ih_l{k}`` ``(4H, D or dirs * H)``, ``weight_hh_l{k}`` ``(4H, H)``,
        ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(4H,)``, from
        :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        input ``(T, N, D)`` (``(N, T, D)`` with batch_first, ``(T, D)`` unbatched);
        hx ``(h_0, c_0)``, each ``(L * dirs, N, H)``, or None for zeros. Returns
        ``(output, (h_n, c_n))`` with output ``(T, N, dirs * H)``.

    >>> import nnblocks as nb
    >>> lstm = nb.nn.LSTM(3, 5, rng=np.random.default_rng(0))
    >>> output, (h_n, c_n) = lstm(nb.tensor(np.ones((7, 2, 3), dtype=np.float32)))
    >>> output.shape, h_n.shape, c_n.shape
    ((7, 2, 5), (1, 2, 5), (1, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if proj_size != 0:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} is not supported (only 0)")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype, rng=rng)
        self.proj_size = 0

    def forward(
        self, input: Any, hx: Any = None, *, rng: np.random.Generator | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Returns ``(output, (h_n, c_n))``; ``rng`` draws the dropout masks (training only)."""
        x, batched = self._prepare_input(input)
        h0 = c0 = None
        if hx is not None:
            h0, c0 = _pair("LSTM", hx)
            h0 = self._prepare_state(h0, "h_0", x, batched)
            c0 = self._prepare_state(c0, "c_0", x, batched)

        def layer(x: Tensor, states: list, weights: list, reverse: bool) -> tuple:
            h, c = states
            return lstm_layer(x, None if h is None else (h, c), *weights, reverse=reverse)

        y, (h_n, c_n) = self._run_layers(x, [h0, c0], layer, rng)
        return self._finish_output(y, batched), (
            self._finish_state(h_n, batched), self._finish_state(c_n, batched)
        )


class LSTMCell(RNNCellBase):
    r"""One LSTM step, as ``torch.nn.LSTMCell``: returns ``(h', c')``.

    Args:
        input_size, hidden_size, bias: as :class:`LSTM`; dtype (float32 by default); rng for
            the initialization.

    Parameters:
        ``weight_ih`` ``(4H, D)``, ``weight_hh`` ``(4H, H)``, ``bias_ih``, ``bias_hh``
        ``(4H,)``, from :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        input ``(N, D)`` or ``(D,)``; hx ``(h, c)`` each ``(N, H)`` / ``(H,)``, or None.

    >>> import nnblocks as nb
    >>> cell = nb.nn.LSTMCell(3, 4, rng=np.random.default_rng(0))
    >>> h, c = cell(nb.tensor(np.ones((2, 3), dtype=np.float32)))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype=dtype, rng=rng)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, batched = self._prepare_input(input)
        state = None
        if hx is not None:
            h, c = _pair("LSTMCell", hx)
            state = (self._prepare_state(h, "h", x, batched),
                     self._prepare_state(c, "c", x, batched))
        h, c = lstm_cell(x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return self._finish(h, batched), self._finish(c, batched)
