"""DistributedSampler and DataLoader(sampler=): shares of one global order, PyTorch's rules."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.data import ArrayDataset, DataLoader, DistributedSampler


@pytest.mark.parametrize("world", [1, 2, 3])
def test_union_of_rank_batches_is_the_global_batch(world: int) -> None:
    data = ArrayDataset(np.arange(24))
    per_rank = 12 // world
    batches = []
    for rank in range(world):
        sampler = DistributedSampler(data, world, rank, seed=7)
        sampler.set_epoch(3)
        batches.append([b[0].array for b in DataLoader(data, per_rank, sampler=sampler)])
    order = DistributedSampler(data, 1, 0, seed=7)
    order.set_epoch(3)
    single = [b[0].array for b in DataLoader(data, 12, sampler=order)]
    for k, whole in enumerate(single):
        union = np.concatenate([batches[r][k] for r in range(world)])
        assert sorted(union.tolist()) == sorted(whole.tolist())


def test_epochs_reshuffle_and_padding_and_drop_last() -> None:
    data = range(5)
    s = DistributedSampler(data, 2, 0, seed=1)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first or len(first) < 3
    assert len(s) == 3                                     # padded to 6, 3 each
    all_indices = list(DistributedSampler(data, 2, 0, shuffle=False)) + \
        list(DistributedSampler(data, 2, 1, shuffle=False))
    assert sorted(all_indices) == [0, 0, 1, 2, 3, 4]       # index 0 repeated to pad
    dropped = DistributedSampler(data, 2, 1, shuffle=False, drop_last=True)
    assert list(dropped) == [1, 3] and len(dropped) == 2


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\)"):
        DistributedSampler(range(4), 2, 2)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ArrayDataset(np.arange(4)), 2, shuffle=True,
                   sampler=DistributedSampler(range(4), 1, 0))


def test_loader_with_sampler_resumes_mid_epoch() -> None:
    data = ArrayDataset(np.arange(10))
    loader = DataLoader(data, 2, sampler=DistributedSampler(data, 2, 1, seed=3))
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    rest = [b[0].array.tolist() for b in it]
    again = DataLoader(data, 2, sampler=DistributedSampler(data, 2, 1, seed=3))
    again.load_state_dict(state)
    assert [b[0].array.tolist() for b in again] == rest


def test_torch_style_import() -> None:
    from nnblocks.utils.data import DataLoader as Loader
    from nnblocks.utils.data import DistributedSampler as Sampler

    assert Loader is DataLoader and Sampler is DistributedSampler
