"""``SyncBatchNorm``: batch normalization whose statistics span every process's batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks import distributed as dist
from nnblocks.core import Tensor
from nnblocks.functional.sync_norm import sync_batch_norm
from nnblocks.nn.module import Module
from nnblocks.nn.norm import _BatchNorm


def _sum_over_processes(array: np.ndarray) -> np.ndarray:
    dist.all_reduce(array, dist.ReduceOp.SUM)
    return array


class SyncBatchNorm(_BatchNorm):
    r"""Batch normalization over the union of all processes' batches (PyTorch's
    ``nn.SyncBatchNorm``): in training, the mean and variance per channel are those of the
    whole data-parallel batch (:mod:`nnblocks.functional.sync_norm` derives both passes), so a
    run on P processes with batches of ``B / P`` normalizes as one process with batch ``B``.

    Arguments, parameters and buffers are :class:`~nnblocks.nn.BatchNorm2d`'s; any input of
    shape ``(N, C, *)`` is accepted. In evaluation, or when no process group is initialized,
    it is ordinary batch normalization of the local batch.

    Use :meth:`convert_sync_batchnorm` to replace the BatchNorm layers of a model.
    """

    _expected_dims = (2, 3, 4, 5)
    _layout = "(N, C, *)"

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or not dist.is_initialized() or dist.get_world_size() == 1:
            return super().forward(x)
        self._check_input(x)
        momentum = self._step_momentum()              # training here
        return sync_batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               momentum=momentum, eps=self.eps, reduce=_sum_over_processes)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Return ``module`` with every BatchNorm layer (1d/2d/3d, and ``module`` itself)
        replaced by a ``SyncBatchNorm`` holding the same parameters and buffers."""
        if process_group is not None:
            raise ValueError("convert_sync_batchnorm: only the default process group exists; "
                             "pass process_group=None")
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats)
            for name, p in module._parameters.items():
                converted._parameters[name] = p           # the same Parameter objects
            for name, b in module._buffers.items():
                converted._buffers[name] = b
            converted.training = module.training
            return converted
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child)
        return module
