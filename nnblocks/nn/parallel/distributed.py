"""``DistributedDataParallel``: one model replica per process, gradients averaged by MPI.

Each process runs the same model on its own part of every batch. After ``loss.backward()`` the
parameters' ``.grad`` hold the gradient **averaged over all processes**, so with per-process
batches of ``B / P`` examples and a mean loss, every process takes the optimizer step a single
process would take with the whole batch ``B``: the replicas stay identical.

How the averaging overlaps the backward pass (as PyTorch's DDP, Li et al. 2020, VLDB):

1. Parameters are grouped into **buckets** of about ``bucket_cap_mb`` megabytes, in reverse
   order of ``module.parameters()`` (the order in which backward finishes their gradients).
2. A post-accumulate-grad hook on each parameter (:func:`nnblocks.core.autograd.
   register_post_accumulate_grad_hook`) copies the finished gradient into its bucket; when a
   bucket is full, a nonblocking ``MPI_Iallreduce`` starts for it **while backward continues**
   with the earlier layers. Buckets start in index order on every rank (collectives must be
   called in the same order everywhere).
3. The hook of the last gradient waits for every bucket and writes ``sum / P`` back into each
   ``.grad``: when ``backward()`` returns, the gradients are final, before ``optimizer.step()``.

``no_sync()`` skips the averaging (gradients accumulate locally, as in PyTorch); the first
backward after it averages the accumulated sums. Parameters that receive no gradient in an
iteration would leave their bucket incomplete: with ``find_unused_parameters=True`` the forward
pass finds them by walking the graph and counts them as ready (contributing zeros, or their
accumulated ``.grad``); otherwise the next forward raises a ``RuntimeError`` naming them (a
forward not followed by any backward is simply forgotten, as in PyTorch).
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnblocks import distributed as dist
from nnblocks.core import Tensor, is_grad_enabled
from nnblocks.nn.module import Module


class _Bucket:
    def __init__(self, index: int, params: list[tuple[str, Any]], dtype: np.dtype) -> None:
        self.index = index
        self.params = params                       # [(name, Parameter)] in bucket order
        self.offsets: list[int] = []
        total = 0
        for _, p in params:
            self.offsets.append(total)
            total += p.array.size
        self.buffer = np.zeros(total, dtype=dtype)
        self.pending = len(params)
        self.ready = [False] * len(params)
        self.work: Any = None
        self.started: float | None = None

    def view(self, i: int) -> np.ndarray:
        p = self.params[i][1]
        return self.buffer[self.offsets[i]:self.offsets[i] + p.array.size].reshape(p.array.shape)


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients over all processes.

    Args:
        module: the model; every process must build the same architecture.
        bucket_cap_mb: target bucket size in megabytes (PyTorch's default, 25).
        broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm running statistics) to every
            rank at the start of each forward in training mode.
        find_unused_parameters: walk the graph after each forward to find parameters that get
            no gradient this iteration (costs a graph traversal per step).

    At construction, parameter names, shapes and dtypes are compared across ranks (a mismatch
    raises :class:`~nnblocks.distributed.DistributedError` on every rank), then rank 0's
    parameters and buffers are broadcast, so all replicas start equal.

    Attributes:
        timings: of the last synchronized backward: ``bucket_started`` (perf_counter times),
            ``last_grad_ready`` and ``wait_seconds`` (time blocked in the final wait).
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 25.0,
                 broadcast_buffers: bool = True, find_unused_parameters: bool = False) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group is not "
                               "initialized; call nnblocks.distributed.init_process_group()")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, "
                             f"got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.world_size = dist.get_world_size()
        named = _unique_parameters(module)
        dist.check_same("the model's parameters (name, shape, dtype)",
                        [(n, list(p.shape), str(p.dtype)) for n, p in named]
                        + [(n, list(np.shape(b)), str(np.asarray(b).dtype))
                           for n, b in module.named_buffers()])
        for _, p in named:
            dist.broadcast(p.array, src=0)
        self._sync_buffers()
        trainable = [(n, p) for n, p in named if p.requires_grad]
        self._buckets = _make_buckets(trainable, int(bucket_cap_mb * 2**20))
        self._where: dict[int, tuple[_Bucket, int]] = {}
        for bucket in self._buckets:
            for i, (_, p) in enumerate(bucket.params):
                self._where[id(p)] = (bucket, i)
        hook = _weak_hook(self)                    # the parameters must not keep us alive
        self._handles = [p.register_post_accumulate_grad_hook(hook) for _, p in trainable]
        weakref.finalize(self, _remove_all, list(self._handles))
        self._sync = True                          # False inside no_sync()
        self._expecting = False                    # a synchronized backward is due
        self._next_bucket = 0
        self._backward_seen = False                # a hook fired since the last forward
        self.timings: dict[str, Any] = {}

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._expecting and self._backward_seen and self._next_bucket < len(self._buckets):
            self._report_unfinished()              # a backward ran but left buckets unfinished
        if self.training and self.broadcast_buffers:
            self._sync_buffers()
        output = self.module(*args, **kwargs)
        self._expecting = self._sync and is_grad_enabled() and bool(self._buckets)
        if self._expecting:
            self._reset()
            if self.find_unused_parameters:
                reached = _reachable_leaves(output)
                for bucket in self._buckets:
                    for i, (_, p) in enumerate(bucket.params):
                        if id(p) not in reached:
                            self._mark_ready(bucket, i)
        return output

    def _reset(self) -> None:
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.ready = [False] * len(bucket.params)
            bucket.work = None
            bucket.started = None
        self._next_bucket = 0
        self._backward_seen = False
        self.timings = {"bucket_started": [], "last_grad_ready": None, "wait_seconds": 0.0}

    def _sync_buffers(self) -> None:
        if self.world_size == 1:
            return
        for _, buffer in self.module.named_buffers():
            if isinstance(buffer, np.ndarray) and buffer.flags.c_contiguous:
                dist.broadcast(buffer if buffer.ndim else buffer.reshape(1), src=0)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward passes only accumulate local gradients (no communication)."""
        previous = self._sync
        self._sync = False
        try:
            yield
        finally:
            self._sync = previous

    # ------------------------------------------------------------------ backward hooks
    def _on_grad_ready(self, p: Tensor) -> None:
        if not self._expecting:
            return
        self._backward_seen = True
        bucket, i = self._where[id(p)]
        self._mark_ready(bucket, i)

    def _mark_ready(self, bucket: _Bucket, i: int) -> None:
        if bucket.ready[i]:
            return
        bucket.ready[i] = True
        p = bucket.params[i][1]
        view = bucket.view(i)
        if p.grad is None:
            view[...] = 0.0
        else:
            view[...] = p.grad.array
        bucket.pending -= 1
        self.timings["last_grad_ready"] = time.perf_counter()
        while (self._next_bucket < len(self._buckets)
               and self._buckets[self._next_bucket].pending == 0):
            started = self._buckets[self._next_bucket]
            started.work = dist.all_reduce(started.buffer, dist.ReduceOp.SUM, async_op=True)
            started.started = started.work.started
            self.timings["bucket_started"].append(started.started)
            self._next_bucket += 1
        for other in self._buckets[:self._next_bucket]:
            other.work.is_completed()              # drives MPI's progress of earlier buckets
        if self._next_bucket == len(self._buckets):
            self._finish()

    def _finish(self) -> None:
        waited = time.perf_counter()
        for bucket in self._buckets:
            bucket.work.wait()
        self.timings["wait_seconds"] = time.perf_counter() - waited
        scale = 1.0 / self.world_size
        for bucket in self._buckets:
            bucket.buffer *= scale
            for i, (_, p) in enumerate(bucket.params):
                if p.grad is None:
                    p.grad = bucket.view(i).copy()
                else:
                    p.grad.array[...] = bucket.view(i)
        self._expecting = False

    def _report_unfinished(self) -> None:
        missing = [name for bucket in self._buckets if bucket.pending
                   for i, (name, p) in enumerate(bucket.params)
                   if not bucket.ready[i]]
        self._expecting = False
        raise RuntimeError(
            "DistributedDataParallel: the previous iteration's backward did not produce "
            f"gradients for {len(missing)} parameter(s): {', '.join(missing[:8])}; pass "
            "find_unused_parameters=True if some parameters are unused in a forward pass, "
            "and call backward() on an output of every forward")

    def extra_repr(self) -> str:
        return (f"world_size={self.world_size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb:g}")


def _weak_hook(ddp: DistributedDataParallel) -> Any:
    ref = weakref.ref(ddp)

    def hook(p: Tensor) -> None:
        owner = ref()
        if owner is not None:
            owner._on_grad_ready(p)
    return hook


def _remove_all(handles: list) -> None:
    for handle in handles:
        handle.remove()


def _unique_parameters(module: Module) -> list[tuple[str, Any]]:
    seen: set[int] = set()
    named = []
    for name, p in module.named_parameters():
        if id(p) not in seen:
            seen.add(id(p))
            named.append((name, p))
    return named


def _make_buckets(named: list[tuple[str, Any]], cap_bytes: int) -> list[_Bucket]:
    """Group parameters, last first, into buckets of at most ``cap_bytes`` (a larger parameter
    gets a bucket of its own) and one dtype each."""
    buckets: list[_Bucket] = []
    current: list[tuple[str, Any]] = []
    size = 0
    for name, p in reversed(named):
        nbytes = p.array.nbytes
        if current and (size + nbytes > cap_bytes or p.dtype != current[0][1].dtype):
            buckets.append(_Bucket(len(buckets), current, current[0][1].dtype))
            current, size = [], 0
        current.append((name, p))
        size += nbytes
    if current:
        buckets.append(_Bucket(len(buckets), current, current[0][1].dtype))
    return buckets


def _reachable_leaves(output: Any) -> set[int]:
    """ids of the leaf tensors the graph of ``output`` (tensors in nested containers) uses."""
    stack = list(_tensors_in(output))
    leaves: set[int] = set()
    seen: set[int] = set()
    nodes = [t._node for t in stack if t._node is not None]
    leaves.update(id(t) for t in stack if t._node is None)
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for x, needed in zip(node.inputs, node.needs_input_grad):
            if x is None or not needed:
                continue
            if x._node is None:
                leaves.add(id(x))
            else:
                nodes.append(x._node)
    return leaves


def _tensors_in(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors_in(v)
