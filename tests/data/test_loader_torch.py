"""DataLoader, datasets and collation against ``torch.utils.data``: same orders, same batch
structure, dtypes and shapes, same refusals."""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.core import Tensor
from nnblocks.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _plain(batch):
    """A batch (nested lists/dicts/tuples of tensors) as nested Python values with dtypes."""
    if isinstance(batch, Tensor):
        return ("tensor", str(batch.dtype), tuple(batch.shape), batch.array.tolist())
    if hasattr(batch, "detach"):                                     # a torch.Tensor
        array = batch.detach().numpy()
        return ("tensor", str(array.dtype), tuple(array.shape), array.tolist())
    if isinstance(batch, np.ndarray):
        return ("array", str(batch.dtype), batch.tolist())
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return (type(batch).__name__,) + tuple(_plain(v) for v in batch)
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_plain(v) for v in batch])
    return batch


class Pairs(Dataset):
    """A map-style dataset written the PyTorch way (subclass, __getitem__, __len__)."""

    def __init__(self, n: int) -> None:
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i], int(i) % 3


Point = collections.namedtuple("Point", "x y")

EXAMPLES = {
    "array_and_int": lambda i: (np.full((2, 2), i, np.float32), i),
    "float_and_bool": lambda i: (float(i) / 3, i % 2 == 0),
    "numpy_scalars": lambda i: (np.float32(i), np.int32(i)),
    "dict": lambda i: {"image": np.full(3, i, np.float64), "label": i, "name": f"n{i}"},
    "nested": lambda i: ((np.arange(2) + i, [i, i + 1]), {"w": float(i)}),
    "namedtuple": lambda i: Point(np.ones(2) * i, i),
    "list_example": lambda i: [i, float(i)],
}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_default_collate_matches_torch(torch, kind):
    make = EXAMPLES[kind]
    examples = [make(i) for i in range(4)]
    ours = _plain(default_collate(examples))
    theirs = _plain(torch.utils.data.default_collate(examples))
    assert ours == theirs


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False)])
def test_default_order_and_batches_match_torch(torch, batch_size, drop_last):
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.arange(7) % 2
    ours = DataLoader(TensorDataset(nb.tensor(x), nb.tensor(y)), batch_size=batch_size,
                      drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    dataset = Pairs(5)                            # a generic dataset, collated example by example
    assert ([_plain(b) for b in DataLoader(dataset, batch_size=batch_size)]
            == [_plain(b) for b in torch.utils.data.DataLoader(dataset, batch_size=batch_size)])


def test_samplers_batch_sampler_and_no_batching_match_torch(torch):
    dataset = Pairs(7)
    order = [6, 0, 3, 3, 1]
    tud = torch.utils.data
    pairs = [
        (DataLoader(dataset, batch_size=2, sampler=order),
         tud.DataLoader(dataset, batch_size=2, sampler=order)),
        (DataLoader(dataset, batch_sampler=[[1, 2], [0], [6, 5, 4]]),
         tud.DataLoader(dataset, batch_sampler=[[1, 2], [0], [6, 5, 4]])),
        (DataLoader(dataset, batch_sampler=BatchSampler(SequentialSampler(dataset), 3, True)),
         tud.DataLoader(dataset, batch_sampler=tud.BatchSampler(
             tud.SequentialSampler(dataset), 3, True))),
        (DataLoader(dataset, batch_size=None), tud.DataLoader(dataset, batch_size=None)),
        (DataLoader(dataset, batch_size=3, collate_fn=lambda b: [e[1] for e in b]),
         tud.DataLoader(dataset, batch_size=3, collate_fn=lambda b: [e[1] for e in b])),
    ]
    for ours, theirs in pairs:
        assert len(ours) == len(theirs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


def test_shuffle_is_off_by_default_and_drawn_from_the_generator():
    data = TensorDataset(np.arange(20))
    assert [b[0].tolist() for b in DataLoader(data, batch_size=20)] == [list(range(20))]

    def epoch(loader):
        return [v for b in loader for v in b[0].tolist()]

    a = DataLoader(data, batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    b = DataLoader(data, batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    first = epoch(a)
    assert first == epoch(b) and sorted(first) == list(range(20)) and first != list(range(20))
    assert epoch(a) != first                                 # a new order every epoch
    nb.manual_seed(5)
    c = DataLoader(data, batch_size=4, shuffle=True)         # the default generator, looked up
    nb.manual_seed(11)                                       # when the epoch starts (as torch)
    d_order = epoch(c)
    nb.manual_seed(11)
    assert epoch(DataLoader(data, batch_size=4, shuffle=True)) == d_order


def test_generator_of_another_library_is_refused(torch):
    with pytest.raises(TypeError, match="numpy.random.Generator.*default_rng"):
        DataLoader(TensorDataset(np.arange(3)), shuffle=True, generator=torch.Generator())
    with pytest.raises(TypeError, match="random_split: generator"):
        random_split(range(4), [2, 2], generator=torch.Generator())


def test_refusals_match_torch(torch):
    dataset = Pairs(4)
    cases = [
        dict(sampler=[0, 1], shuffle=True),
        dict(batch_sampler=[[0]], batch_size=2),
        dict(batch_sampler=[[0]], drop_last=True),
        dict(batch_size=None, drop_last=True),
        dict(num_workers=-1),
        dict(prefetch_factor=2),
        dict(persistent_workers=True),
    ]
    for kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(dataset, **kwargs)
        with pytest.raises(ValueError) as ours:
            DataLoader(dataset, **kwargs)
        words = [w for w in ("mutually exclusive", "non-negative", "prefetch_factor",
                             "persistent_workers") if w in str(theirs.value)]
        assert words and all(w in str(ours.value) for w in words), (kwargs, ours.value)


def test_thread_workers_give_the_same_batches_in_order():
    dataset = Pairs(23)
    seen_threads = set()
    ids = []

    def init(worker_id):
        ids.append(worker_id)
        seen_threads.add(threading.get_ident())

    serial = [_plain(b) for b in DataLoader(dataset, batch_size=4)]
    loader = DataLoader(dataset, batch_size=4, num_workers=3, worker_init_fn=init,
                        prefetch_factor=1, persistent_workers=True, pin_memory=True)
    assert [_plain(b) for b in loader] == serial
    assert sorted(ids) == list(range(len(ids))) and 1 <= len(ids) <= 3
    assert threading.get_ident() not in seen_threads
    it = iter(loader)                           # an abandoned epoch shuts its threads down
    next(it)
    it.close()
    assert [_plain(b) for b in loader] == serial
    with pytest.raises(ValueError, match="threads"):
        DataLoader(dataset, num_workers=2, multiprocessing_context="spawn")


def test_resume_with_a_batch_sampler():
    dataset = TensorDataset(np.arange(9))
    batches = [[8, 0], [1], [2, 3, 4], [7]]
    loader = DataLoader(dataset, batch_sampler=batches)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    again = DataLoader(dataset, batch_sampler=batches)
    again.load_state_dict(state)
    assert [b[0].tolist() for b in again] == [[2, 3, 4], [7]]


def test_datasets_match_torch(torch):
    x = np.arange(12).reshape(6, 2)
    ours, theirs = TensorDataset(x), torch.utils.data.TensorDataset(torch.from_numpy(x))
    assert len(ours) == len(theirs) and _plain(list(ours[4])) == _plain(list(theirs[4]))
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(np.zeros(3), np.zeros(4))
    parts = [Pairs(3), Pairs(2), Pairs(4)]
    concat, t_concat = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert len(concat) == len(t_concat) == 9
    for i in (0, 2, 3, 4, 5, 8, -1, -9):
        assert _plain(list(concat[i])) == _plain(list(t_concat[i]))
    assert len(Pairs(2) + Pairs(3)) == 5
    sub = Subset(Pairs(6), [5, 0, 2])
    assert ([_plain(b) for b in DataLoader(sub, batch_size=2)]
            == [_plain(b) for b in torch.utils.data.DataLoader(
                torch.utils.data.Subset(Pairs(6), [5, 0, 2]), batch_size=2)])


@pytest.mark.parametrize("n,lengths", [
    (10, [0.5, 0.3, 0.2]), (11, [0.5, 0.5]), (7, [0.3, 0.3, 0.4]), (5, [0.1, 0.9]),
    (9, [4, 5]), (3, [1, 1, 1]),
])
def test_random_split_sizes_match_torch(torch, n, lengths):
    ours = random_split(range(n), lengths, generator=np.random.default_rng(0))
    theirs = torch.utils.data.random_split(range(n), lengths)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(i for p in ours for i in p) == list(range(n))
    again = random_split(range(n), lengths, generator=np.random.default_rng(0))
    assert [list(p) for p in ours] == [list(p) for p in again]
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(range(n), [n, 1])


def test_torch_style_generator_spelling():
    data = TensorDataset(np.arange(12))

    def order(generator):
        return [v for b in DataLoader(data, batch_size=5, shuffle=True, generator=generator)
                for v in b[0].tolist()]

    assert order(nb.Generator().manual_seed(42)) == order(nb.Generator().manual_seed(42))
    assert order(nb.Generator().manual_seed(42)) != order(nb.Generator().manual_seed(43))
    parts = random_split(data, [0.75, 0.25], generator=nb.Generator().manual_seed(0))
    again = random_split(data, [0.75, 0.25], generator=nb.Generator().manual_seed(0))
    assert [list(p.indices) for p in parts] == [list(p.indices) for p in again]
    g = nb.Generator()
    assert g.initial_seed() == 67280421310721                  # PyTorch's default seed
    state = g.get_state()
    first = g.random()
    assert g.set_state(state).random() == first


class Stream:
    """An iterable-style dataset written once for both libraries."""

    def __init__(self, base, n):
        class _Stream(base):
            def __iter__(self):
                for i in range(n):
                    yield np.full(2, i, np.float32), i % 2

            def __len__(self):
                return n

        self.dataset = _Stream()


def test_iterable_datasets_match_torch(torch):
    from nnblocks.utils.data import ChainDataset, IterableDataset

    tud = torch.utils.data
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True),
                   dict(batch_size=None), dict(batch_size=4, collate_fn=lambda b: len(b))):
        ours = DataLoader(Stream(IterableDataset, 7).dataset, **kwargs)
        theirs = tud.DataLoader(Stream(tud.IterableDataset, 7).dataset, **kwargs)
        assert len(ours) == len(theirs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    chained = ChainDataset([Stream(IterableDataset, 2).dataset, Stream(IterableDataset, 3).dataset])
    t_chained = tud.ChainDataset([Stream(tud.IterableDataset, 2).dataset,
                                  Stream(tud.IterableDataset, 3).dataset])
    assert ([_plain(b) for b in DataLoader(chained, batch_size=2)]
            == [_plain(b) for b in tud.DataLoader(t_chained, batch_size=2)])
    for kwargs in (dict(shuffle=True), dict(sampler=[0, 1])):
        with pytest.raises(ValueError, match="expected unspecified"):
            tud.DataLoader(Stream(tud.IterableDataset, 3).dataset, **kwargs)
        with pytest.raises(ValueError, match="expected unspecified"):
            DataLoader(Stream(IterableDataset, 3).dataset, **kwargs)
    with pytest.raises(ValueError, match="use num_workers=0 with an IterableDataset"):
        DataLoader(Stream(IterableDataset, 3).dataset, num_workers=2)
    loader = DataLoader(Stream(IterableDataset, 3).dataset, batch_size=2)
    list(loader)
    state = loader.state_dict()
    again = DataLoader(Stream(IterableDataset, 3).dataset, batch_size=2)
    again.load_state_dict(state)
    assert again.epoch == 1 and len(list(again)) == 2
