"""Utilities on parameters and sequences: gradient clipping (``nn.utils.clip_grad_norm_``,
...), ``parameters_to_vector`` / ``vector_to_parameters``, and ``nn.utils.rnn``
(``pad_sequence``)."""

from nnblocks.nn.utils import rnn
from nnblocks.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from nnblocks.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "rnn", "vector_to_parameters"]
