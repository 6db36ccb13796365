r"""Gated recurrent units: :class:`GRU` over sequences and :class:`GRUCell` for one step."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.core import Tensor
from nnblocks.functional.gru import gru_cell, gru_layer
from nnblocks.nn.recurrent import RNNBase, RNNCellBase


class GRU(RNNBase):
    r"""A stack of GRU layers, as ``torch.nn.GRU`` (gates in PyTorch's order r, z, n).

    For each layer:

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})), \quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Each layer and direction is one fused block over the sequence
    (:class:`~nnblocks.functional.gru.GRULayerBlock`, with the BPTT derivation).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
            rng: as :class:`~nnblocks.nn.RNN`.

    Parameters (PyTorch's names; ``_reverse`` suffix for direction 2):
        ``weight_ih_l{k}`` ``(3H, D or dirs * H)``, ``weight_hh_l{k}`` ``(3H, H)``,
        ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(3H,)``, from
        :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        as :class:`~nnblocks.nn.RNN`: returns ``(output, h_n)``.

    >>> import nnblocks as nb
    >>> gru = nb.nn.GRU(3, 5, batch_first=True, bidirectional=True, rng=np.random.default_rng(0))
    >>> output, h_n = gru(nb.tensor(np.ones((2, 7, 3), dtype=np.float32)))
    >>> output.shape, h_n.shape
    ((2, 7, 10), (2, 2, 5))
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
        *,
        dtype: Any = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype, rng=rng)

    def forward(
        self, input: Any, hx: Any = None, *, rng: np.random.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Returns ``(output, h_n)``; ``rng`` draws the dropout masks (training only)."""

        def layer(x: Tensor, h0: Tensor | None, weights: list, reverse: bool) -> tuple:
            return gru_layer(x, h0, *weights, reverse=reverse)

        return self._forward_one_state(input, hx, layer, rng)


class GRUCell(RNNCellBase):
    r"""One GRU step, as ``torch.nn.GRUCell``.

    Args:
        input_size, hidden_size, bias: as :class:`GRU`; dtype (float32 by default); rng for
            the initialization.

    Parameters:
        ``weight_ih`` ``(3H, D)``, ``weight_hh`` ``(3H, H)``, ``bias_ih``, ``bias_hh``
        ``(3H,)``, from :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`.

    Shape:
        input ``(N, D)`` or ``(D,)``; hx ``(N, H)`` / ``(H,)`` or None; returns h' like hx.

    >>> import nnblocks as nb
    >>> cell = nb.nn.GRUCell(3, 4, rng=np.random.default_rng(0))
    >>> cell(nb.tensor(np.ones(3, dtype=np.float32))).shape
    (4,)
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
        super().__init__(input_size, hidden_size, bias, 3, dtype=dtype, rng=rng)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._prepare_input(input)
        h = self._prepare_state(hx, "hx", x, batched)
        h = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return self._finish(h, batched)
