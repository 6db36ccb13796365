"""Checkpoints: round trip of every state, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from nnblocks.data import ArrayDataset, DataLoader
from nnblocks.io import CheckpointError, load_checkpoint, save_checkpoint
from nnblocks.io.checkpoint import MANIFEST
from nnblocks.nn import Module, Parameter


class Tiny(Module):
    def __init__(self, rng, width=3):
        super().__init__()
        self.weight = Parameter(rng.standard_normal((width, 2)).astype(np.float32))
        self.bias = Parameter(np.zeros(width, dtype=np.float32))
        self.register_buffer("running", np.arange(width, dtype=np.float64))


class FakeOptimizer:
    """A PyTorch-layout optimizer state: int keys, arrays, tuples, floats."""

    def __init__(self, rng):
        self.state = {
            "state": {0: {"step": 3, "exp_avg": rng.standard_normal(4)},
                      1: {"step": 3, "exp_avg": np.float32(0.1)}},
            "param_groups": [{"lr": 0.1 / 3, "betas": (0.9, 0.999), "params": [0, 1]}],
        }

    def state_dict(self):
        return self.state

    def load_state_dict(self, state):
        self.state = state


def _save(path, rng, **kwargs):
    loader = DataLoader(ArrayDataset(np.arange(10)), batch_size=3, shuffle=True,
                        rng=np.random.default_rng(1))
    next(iter(loader))
    objects = {"model": Tiny(rng), "optimizer": FakeOptimizer(rng), "loader": loader,
               "rng": np.random.default_rng(2)}
    save_checkpoint(path, epoch=4, metrics={"history": [{"loss": 0.25, "accuracy": None}]},
                    config={"model": {"name": "tiny", "sizes": (2, 3)}}, **objects, **kwargs)
    return objects


def test_round_trip_restores_every_state_exactly(tmp_path, rng):
    path = tmp_path / "run" / "ckpt.npz"
    path.parent.mkdir()
    saved = _save(path, rng)
    model = Tiny(np.random.default_rng(99))
    optimizer = FakeOptimizer(np.random.default_rng(99))
    loader = DataLoader(ArrayDataset(np.arange(10)), batch_size=3, shuffle=True,
                        rng=np.random.default_rng(7))
    generator = np.random.default_rng(123)
    ckpt = load_checkpoint(path, model=model, optimizer=optimizer, loader=loader, rng=generator)
    assert ckpt.epoch == 4 and ckpt.config == {"model": {"name": "tiny", "sizes": (2, 3)}}
    assert ckpt.metrics["history"][0] == {"loss": 0.25, "accuracy": None}
    for key, value in saved["model"].state_dict().items():
        got = model.state_dict()[key]
        assert got.dtype == value.dtype and np.array_equal(got, value)
    opt = optimizer.state
    assert opt["param_groups"][0] == {"lr": 0.1 / 3, "betas": (0.9, 0.999), "params": [0, 1]}
    assert list(opt["state"]) == [0, 1]
    np.testing.assert_array_equal(opt["state"][0]["exp_avg"], saved["optimizer"].state[
        "state"][0]["exp_avg"])
    assert opt["state"][1]["exp_avg"].dtype == np.float32
    assert generator.random() == saved["rng"].random()
    rest = saved["loader"].state_dict()["order"][3:].tolist()     # the epoch's other batches
    assert [b[0].array.tolist() for b in loader] == [rest[:3], rest[3:6], rest[6:]]
    with zipfile.ZipFile(path) as z:                     # a plain npz, readable without us
        assert MANIFEST + ".npy" in z.namelist()
    with np.load(path, allow_pickle=False) as z:
        assert z["model/weight"].shape == (3, 2)


def test_crash_during_write_keeps_the_previous_checkpoint(tmp_path, rng, monkeypatch):
    path = tmp_path / "ckpt.npz"
    _save(path, rng)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(CheckpointError, match="simulated crash"):
        save_checkpoint(path, model=Tiny(rng), epoch=5)
    monkeypatch.undo()

    def half_write(file, *args, **kwargs):               # the writer dies mid-file
        file.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", half_write)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model=Tiny(rng), epoch=6)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path).epoch == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]   # no temporary files


def _rewrite_manifest(path, change):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    manifest = json.loads(arrays[MANIFEST].tobytes())
    change(manifest)
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_bad_files_raise_errors_naming_file_and_problem(tmp_path, rng):
    good = tmp_path / "good.npz"
    _save(good, rng)
    data = good.read_bytes()
    cases = {}
    cases["truncated"] = data[: len(data) // 2]
    flipped = bytearray(data)
    start = data.index(b"model/weight.npy")               # corrupt the weights' bytes
    flipped[data.index(b"\x93NUMPY", start) + 130] ^= 0xFF   # inside the array data
    cases["corrupt"] = bytes(flipped)
    cases["not-zip"] = b"this is not a checkpoint"
    for name, content in cases.items():
        path = tmp_path / f"{name}.npz"
        path.write_bytes(content)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path, model=Tiny(rng))
        assert str(path) in str(info.value)
        assert "corrupt" in str(info.value) or "truncated" in str(info.value)

    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(2))
    with pytest.raises(CheckpointError, match="not an nnblocks checkpoint"):
        load_checkpoint(plain)
    future = tmp_path / "future.npz"
    future.write_bytes(data)
    _rewrite_manifest(future, lambda m: m.update(version=99))
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        load_checkpoint(future)
    missing_entry = tmp_path / "missing.npz"
    missing_entry.write_bytes(data)
    _rewrite_manifest(missing_entry, lambda m: m["model"].update(extra={"__array__": "nope"}))
    with pytest.raises(CheckpointError, match="lacks the array entry 'nope'"):
        load_checkpoint(missing_entry)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.npz")


def test_damaged_entry_header_is_caught_by_its_checksum(tmp_path, rng):
    """Bytes NumPy parses before the zip layer has read a whole entry (the .npy header) are
    covered by the CRC check: a header that no longer parses, and one that still parses but
    with another shape, are both reported as corruption."""
    good = tmp_path / "good.npz"
    _save(good, rng)
    data = good.read_bytes()
    header = data.index(b"'shape': (3, 2)", data.index(b"model/weight.npy"))
    for name, replacement in (("unparsable", b"'shape': h3, 2)"),
                              ("other-shape", b"'shape': (3, 1)")):
        path = tmp_path / f"{name}.npz"
        path.write_bytes(data[:header] + replacement + data[header + len(replacement):])
        with pytest.raises(CheckpointError, match=r"corrupt .*'model/weight.npy' fails its CRC"):
            load_checkpoint(path, model=Tiny(rng))


def test_a_manifest_of_the_wrong_structure_is_refused(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    _rewrite_manifest(path, lambda m: m.update(model=[1, 2]))
    with pytest.raises(CheckpointError, match="model state is a list"):
        load_checkpoint(path, model=Tiny(rng))


def test_mismatched_architecture_is_refused_before_loading(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    wider = Tiny(rng, width=5)
    before = wider.state_dict()
    with pytest.raises(CheckpointError, match=r"architecture .*weight: saved \(3, 2\), model"):
        load_checkpoint(path, model=wider)
    assert all(np.array_equal(before[k], v) for k, v in wider.state_dict().items())

    class Other(Module):
        def __init__(self):
            super().__init__()
            self.kernel = Parameter(np.zeros(2))

    with pytest.raises(CheckpointError, match="missing kernel; unexpected weight, bias"):
        load_checkpoint(path, model=Other())


def test_only_plain_data_can_be_saved(tmp_path):
    with pytest.raises(CheckpointError, match="object array"):
        save_checkpoint(tmp_path / "a.npz", metrics={"x": np.array([None, 1], dtype=object)})
    with pytest.raises(CheckpointError, match="cannot store a set"):
        save_checkpoint(tmp_path / "a.npz", config={"x": {1, 2}})
    assert not (tmp_path / "a.npz").exists()


def test_real_optimizer_and_scheduler_states(tmp_path, rng):
    optim = pytest.importorskip("nnblocks.optim")
    model = Tiny(rng)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for p in model.parameters():
        p.grad = np.ones_like(p.array)
    opt.step()
    sched.step()
    save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt, scheduler=sched)
    model2 = Tiny(np.random.default_rng(5))
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=1, gamma=0.5)
    load_checkpoint(tmp_path / "c.npz", model=model2, optimizer=opt2, scheduler=sched2)
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.005]
    for p, q in zip(model.parameters(), model2.parameters()):
        p.grad = q.grad = np.full_like(p.array, 0.5)
    opt.step()
    opt2.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.array, q.array)
