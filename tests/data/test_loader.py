"""DataLoader: batching, shuffling from an explicit rng, and exact mid-epoch resume."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnblocks.core import Tensor
from nnblocks.data import (
    ArrayDataset,
    DataLoader,
    Subset,
    random_split,
    split_indices,
    train_val_split,
)


def _ids(batches):
    return [b[1].array.tolist() for b in batches]


def test_batches_cover_the_dataset_once_per_epoch(rng):
    ds = ArrayDataset(rng.standard_normal((10, 3)).astype(np.float32), np.arange(10))
    loader = DataLoader(ds, batch_size=4, shuffle=True, rng=rng)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert all(isinstance(t, Tensor) and not t.requires_grad for b in batches for t in b)
    assert batches[0][0].dtype == np.float32
    assert sorted(sum(_ids(batches), [])) == list(range(10))
    x, y = batches[0]
    np.testing.assert_array_equal(x.array, ds.arrays[0][y.array])
    assert loader.epoch == 1


def test_shuffle_and_drop_last(rng):
    ds = ArrayDataset(np.arange(10), np.arange(10))
    plain = _ids(DataLoader(ds, batch_size=3, shuffle=False, drop_last=True))
    assert plain == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    loader = DataLoader(ds, batch_size=3, shuffle=True, rng=np.random.default_rng(5))
    first, second = _ids(loader), _ids(loader)
    assert first != second                                 # a new order every epoch
    again = DataLoader(ds, batch_size=3, shuffle=True, rng=np.random.default_rng(5))
    assert _ids(again) == first                            # the rng alone decides the order


def test_numpy_batches_and_generic_datasets():
    examples = [(np.full(2, i, dtype=np.float32), i) for i in range(5)]   # a plain list
    loader = DataLoader(examples, batch_size=2, shuffle=False, as_tensor=False)
    x, y = next(iter(loader))
    assert isinstance(x, np.ndarray) and x.shape == (2, 2) and y.tolist() == [0, 1]
    sub = Subset(ArrayDataset(np.arange(6) * 10), [5, 1])
    assert [int(b[0].array[0]) for b in DataLoader(sub, shuffle=False)] == [50, 10]


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 23),
    batch_size=st.integers(1, 7),
    drop_last=st.booleans(),
    stop_after=st.integers(0, 40),
)
def test_resume_gives_the_batches_of_an_uninterrupted_run(n, batch_size, drop_last, stop_after):
    ds = ArrayDataset(np.arange(n), np.arange(n))

    def make():
        return DataLoader(ds, batch_size, shuffle=True, drop_last=drop_last,
                          rng=np.random.default_rng(n))

    reference = make()
    expected = [_ids(reference) for _ in range(4)]
    flat_expected = [b for epoch in expected for b in epoch]

    first = make()
    seen: list = []
    state = None
    for _ in range(4):                                     # run until stop_after batches
        for batch in first:
            seen.append(batch[1].array.tolist())
            if len(seen) == stop_after:
                state = first.state_dict()
                break
        if state is not None:
            break
    if state is None:
        state = first.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    while len(seen) < len(flat_expected):
        seen.extend(_ids(resumed))
    assert seen[: len(flat_expected)] == flat_expected


def test_state_dict_is_plain_and_load_checks_the_dataset():
    loader = DataLoader(ArrayDataset(np.arange(6)), batch_size=2, shuffle=True,
                        rng=np.random.default_rng(0))
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    assert state["position"] == 1 and state["order"].shape == (6,) and state["epoch"] == 0
    other = DataLoader(ArrayDataset(np.arange(7)), batch_size=2)
    with pytest.raises(ValueError, match="7 examples"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ArrayDataset(np.arange(3)), batch_size=0)


def test_splits_are_disjoint_and_reproducible():
    parts = split_indices(20, [0.5, 0.25, 0.25], rng=np.random.default_rng(3))
    assert [len(p) for p in parts] == [10, 5, 5]
    assert sorted(np.concatenate(parts).tolist()) == list(range(20))
    again = split_indices(20, [0.5, 0.25, 0.25], rng=np.random.default_rng(3))
    assert all((a == b).all() for a, b in zip(parts, again))
    subsets = random_split(ArrayDataset(np.arange(8)), [0.75, 0.25], rng=np.random.default_rng(0))
    assert [len(s) for s in subsets] == [6, 2]
    (xt,), (xv,) = train_val_split(np.arange(10), val_fraction=0.2, rng=np.random.default_rng(0))
    assert len(xt) == 8 and set(xt).isdisjoint(xv)
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(np.arange(3), val_fraction=1.0)
    with pytest.raises(ValueError, match="first dimension"):
        ArrayDataset(np.zeros(3), np.zeros(4))
