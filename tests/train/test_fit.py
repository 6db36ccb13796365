"""The training loop: learning, history, callbacks, the NaN guard, the progress bar, and an exact
resume (train 4 epochs == train 2, stop, resume 2 more: bit for bit)."""

from __future__ import annotations

import io
import json
import re
import sys

import numpy as np
import pytest

import nnblocks.nn as nn
from nnblocks import optim
from nnblocks.data import ArrayDataset, DataLoader, xor
from nnblocks.io import load_checkpoint
from nnblocks.train import (
    Callback,
    Checkpoint,
    EarlyStopping,
    GradNormLogger,
    JSONLinesLogger,
    NonFiniteError,
    evaluate,
    fit,
    restore_callbacks,
)


def _xor_loaders(seed=0):
    x, y = xor(256, noise=0.1, rng=np.random.default_rng(seed))
    train = DataLoader(ArrayDataset(x[:192], y[:192]), 32, shuffle=True,
                       rng=np.random.default_rng(seed + 1))
    val = DataLoader(ArrayDataset(x[192:], y[192:]), 64, shuffle=False)
    return train, val


def test_an_mlp_learns_xor_and_the_history_says_so():
    train, val = _xor_loaders()
    model = nn.MLP(2, [8], 2, activation="tanh", rng=np.random.default_rng(0))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=12, val_loader=val,
                  scheduler=sched, callbacks=[GradNormLogger(per_parameter=True)],
                  progress=False)
    assert [r["epoch"] for r in history] == list(range(1, 13))
    assert history.column("lr")[:6] == [0.05] * 5 + [0.025]
    assert history[-1]["val_accuracy"] == 1.0 and history[-1]["loss"] < history[0]["loss"]
    record = history[-1]
    for key in ("loss", "accuracy", "val_loss", "seconds", "samples_per_second",
                "grad_norm_mean", "grad_norm_max", "grad_norm/0.weight"):
        assert isinstance(record[key], float), key
    assert evaluate(model, nn.CrossEntropyLoss(), val)["accuracy"] == 1.0


class Net(nn.Module):
    """Linear → BatchNorm → ReLU → Dropout → Linear: parameters, buffers and randomness."""

    def __init__(self, rng, dropout_rng):
        super().__init__()
        self.fc1 = nn.Linear(2, 16, rng=rng)
        self.norm = nn.BatchNorm1d(16)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.2, rng=dropout_rng)
        self.fc2 = nn.Linear(16, 2, rng=rng)

    def forward(self, x):
        return self.fc2(self.drop(self.act(self.norm(self.fc1(x)))))


class StopAfter(Callback):
    """Simulates the process being killed after an epoch (its checkpoint is written)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_complete(self, state):
        if state.epoch == self.epoch:
            raise KeyboardInterrupt


def _setup(init_seed, tmp_path=None):
    train, val = _xor_loaders()
    dropout_rng = np.random.default_rng(42)
    model = Net(np.random.default_rng(init_seed), dropout_rng)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    stopper = EarlyStopping(patience=10)
    return model, opt, sched, train, val, dropout_rng, stopper


def test_resume_is_bit_exact(tmp_path):
    model, opt, sched, train, val, rng, stopper = _setup(0)
    fit(model, nn.CrossEntropyLoss(), opt, train, epochs=4, val_loader=val, scheduler=sched,
        callbacks=[stopper], progress=False)

    model2, opt2, sched2, train2, val2, rng2, stopper2 = _setup(0)
    ckpt = Checkpoint(tmp_path, rng=rng2)
    with pytest.raises(KeyboardInterrupt):
        fit(model2, nn.CrossEntropyLoss(), opt2, train2, epochs=4, val_loader=val2,
            scheduler=sched2, callbacks=[stopper2, ckpt, StopAfter(2)], progress=False)

    model3, opt3, sched3, train3, val3, rng3, stopper3 = _setup(7)   # other init: all restored
    saved = load_checkpoint(tmp_path / "checkpoint.npz", model=model3, optimizer=opt3,
                            scheduler=sched3, loader=train3, rng=rng3)
    callbacks = [stopper3, Checkpoint(tmp_path, rng=rng3)]
    restore_callbacks(callbacks, saved.extra["callbacks"])
    assert saved.epoch == 2 and stopper3.tracker.best == stopper2.tracker.best
    history = fit(model3, nn.CrossEntropyLoss(), opt3, train3, epochs=4, val_loader=val3,
                  scheduler=sched3, callbacks=callbacks, start_epoch=saved.epoch,
                  history=saved.metrics["history"], progress=False)
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    for (name, a), b in zip(model.state_dict().items(), model3.state_dict().values()):
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    state, state3 = opt.state_dict()["state"], opt3.state_dict()["state"]
    for key in state:
        for field in ("exp_avg", "exp_avg_sq"):
            assert np.array_equal(state[key][field], state3[key][field])
    assert sched.get_last_lr() == sched3.get_last_lr()
    assert rng.random() == rng3.random()


def test_nan_guard_names_step_and_parameter_and_keeps_the_checkpoint(tmp_path):
    train, val = _xor_loaders()
    model = nn.MLP(2, [4], 2, rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=0.1)

    class Poison(Callback):
        def on_epoch_complete(self, state):
            if state.epoch == 1:
                model[2].weight.array[0, 1] = np.nan

    ckpt = Checkpoint(tmp_path, best_filename=None)
    with pytest.raises(NonFiniteError, match=r"loss .* step 7 \(epoch 2, batch 1\).*'2\.weight'"):
        fit(model, nn.CrossEntropyLoss(), opt, train, epochs=3, callbacks=[ckpt, Poison()],
            progress=False)
    good = load_checkpoint(tmp_path / "checkpoint.npz")
    assert good.epoch == 1 and np.isfinite(good.model_state["2.weight"]).all()

    x = np.zeros((4, 2), dtype=np.float32)
    x[2, 0] = np.nan                                      # bad data: parameters are fine
    bad = DataLoader(ArrayDataset(x, np.zeros(4, dtype=np.int64)), 2, shuffle=False)
    model = nn.MLP(2, [4], 2, rng=np.random.default_rng(0))
    with pytest.raises(NonFiniteError, match=r"step 2 .*all parameters are finite"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), bad,
            epochs=1, progress=False)


def test_an_update_that_overflows_stops_before_the_checkpoint_is_saved(tmp_path):
    """Finite loss and gradients, but a huge rate makes the parameters infinite in the last
    step of an epoch: training stops there, and the previous epoch's checkpoint stays good."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    loader = DataLoader(ArrayDataset(x, rng.integers(0, 2, 16)), 16, shuffle=True,
                        rng=rng)  # 1 batch/epoch
    model = nn.Linear(4, 2, rng=rng)
    opt = optim.SGD(model.parameters(), lr=0.1)

    class HugeRate(Callback):
        def on_epoch_begin(self, state):
            if state.epoch == 2:
                opt.param_groups[0]["lr"] = 1e308

    with np.errstate(over="ignore"), pytest.raises(
            NonFiniteError, match=r"parameter '(weight|bias)' after the update at step 3"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=4,
            callbacks=[HugeRate(), Checkpoint(tmp_path, best_filename=None)], progress=False)
    saved = load_checkpoint(tmp_path / "checkpoint.npz")
    assert saved.epoch == 2
    assert all(np.isfinite(v).all() for v in saved.model_state.values())


def test_nan_gradient_is_caught_before_the_update():
    class SqrtModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(np.zeros((2, 2), dtype=np.float32))

        def forward(self, x):
            return (x @ self.weight) ** 0.5                # d sqrt(u)/du = inf at u = 0

    model = SqrtModel()
    loader = DataLoader(ArrayDataset(np.ones((2, 2), np.float32), np.zeros(2, np.int64)), 2)
    with np.errstate(divide="ignore", invalid="ignore"), \
            pytest.raises(NonFiniteError, match=r"gradient at step 1 .* 'weight'"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            epochs=1, progress=False)
    assert (model.weight.array == 0).all()                   # no update was made


def test_callbacks_early_stopping_best_checkpoint_and_jsonl(tmp_path):
    train, val = _xor_loaders()
    model = nn.MLP(2, [8], 2, rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=0.0)             # nothing improves
    log = tmp_path / "metrics.jsonl"
    stopper = EarlyStopping(patience=2)
    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=10, val_loader=val,
                  callbacks=[stopper, JSONLinesLogger(log), Checkpoint(tmp_path, every=5)],
                  progress=False)
    assert len(history) == 3 and stopper.stopped_epoch == 3
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3]
    assert load_checkpoint(tmp_path / "best.npz").epoch == 1
    assert load_checkpoint(tmp_path / "checkpoint.npz").epoch == 3   # saved at the stop
    with pytest.raises(KeyError, match="val_loss"):
        fit(model, nn.CrossEntropyLoss(), opt, train, epochs=1, callbacks=[EarlyStopping()],
            progress=False)


class Terminal(io.StringIO):
    """A terminal of unknown width (no file descriptor), like a pseudo-terminal of size 0."""

    def isatty(self):
        return True


def test_progress_bar_shows_loss_accuracy_and_speed(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr("nnblocks.train.progress.EpochBar.REFRESH_SECONDS", 0.0)
    train, val = _xor_loaders()
    model = nn.MLP(2, [4], 2, rng=np.random.default_rng(0))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, epochs=2,
        val_loader=val, progress=True)
    frames = screen.getvalue().replace("\n", "\r").split("\r")
    during = [f for f in frames if f.startswith("epoch 2/2  50%")]
    assert during and re.search(r"3/6 \[.*, loss \d\.\d{4}, acc \d\.\d{4}, \d+ samples/s\]$",
                                during[-1])
    assert max(len(f) for f in frames if "%|" in f) <= 80     # the fallback width
    lines = screen.getvalue().split("\n")
    summaries = [line.rsplit("\r", 1)[-1] for line in lines if "val_acc" in line]
    assert len(summaries) == 2 and all(
        re.fullmatch(r"epoch \d/2 6/6 \[\d\d:\d\d, loss \S+, acc \S+, val_loss \S+, val_acc \S+, "
                     r"\d+ samples/s\]", s) for s in summaries)
    for progress, stream in ((False, Terminal()), (True, io.StringIO())):  # --quiet; not a tty
        monkeypatch.setattr(sys, "stderr", stream)
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train,
            epochs=1, progress=progress)
        assert stream.getvalue() == ""
