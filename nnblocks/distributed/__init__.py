"""Data-parallel training across processes and machines on MPI (``mpi4py``, MPICH by default).

PyTorch's ``torch.distributed`` names: start the processes with MPICH's launcher and call
:func:`init_process_group` in each::

    mpiexec -n 2 python train.py            # or: nnblocks train --nproc 2 ...

    import nnblocks.distributed as dist
    dist.init_process_group("mpi")
    model = nn.parallel.DistributedDataParallel(model)

Modules: :mod:`~nnblocks.distributed.process_group` (collectives),
:mod:`~nnblocks.distributed.faults` (a failed rank stops the others),
:mod:`~nnblocks.distributed.launch` (finding and starting ``mpiexec``).
"""

from nnblocks.distributed.faults import DistributedError, abort_on_error
from nnblocks.distributed.process_group import (
    ReduceOp,
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    check_same,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_initialized,
)

__all__ = [
    "DistributedError",
    "ReduceOp",
    "Work",
    "abort_on_error",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "check_same",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_initialized",
]
