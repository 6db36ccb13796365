"""``fit(..., tensorboard=DIR)``: every tag and value read back with TensorBoard's own reader."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import nnblocks.nn as nn
import nnblocks.optim as optim
from nnblocks.data import ArrayDataset, DataLoader
from nnblocks.train import Callback, fit
from nnblocks.viz.filters import filter_grid
from tests.viz.conftest import in_ci


def event_reader(log_dir):
    """TensorBoard's EventAccumulator over ``log_dir``, keeping every event."""
    if in_ci():
        import tensorboard  # noqa: F401 - CI installs the reference reader and the writer:
        import tensorboardX  # noqa: F401 - fail loudly instead of skipping
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    reader = accumulator.EventAccumulator(
        str(log_dir), size_guidance={accumulator.SCALARS: 0, accumulator.HISTOGRAMS: 0,
                                     accumulator.IMAGES: 0, accumulator.TENSORS: 0})
    reader.Reload()
    return reader


class Recorder(Callback):
    """What the event files must contain, taken from the loop itself."""

    def __init__(self):
        self.loss, self.lr, self.norms, self.weights, self.grads = [], [], [], [], []

    def on_after_backward(self, state):
        self.norms.append({n: float(np.linalg.norm(p.grad.array.astype(np.float64)))
                           for n, p in state.model.named_parameters()})

    def on_batch_end(self, state):
        self.loss.append(state.loss)
        self.lr.append(state.optimizer.param_groups[0]["lr"])

    def on_epoch_end(self, state):
        self.weights.append({n: p.array.copy() for n, p in state.model.named_parameters()})
        self.grads.append({n: p.grad.array.copy() for n, p in state.model.named_parameters()})


def small_run(tmp_path, rng):
    x = rng.standard_normal((24, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, 24)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=rng), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 3, rng=rng))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train = DataLoader(ArrayDataset(x[:16], y[:16]), batch_size=8, shuffle=True, rng=rng)
    val = DataLoader(ArrayDataset(x[16:], y[16:]), batch_size=8, shuffle=False)
    recorder = Recorder()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=2, val_loader=val,
                  scheduler=scheduler, callbacks=[recorder], progress=False,
                  tensorboard=tmp_path / "tb")
    return model, history, recorder


def scalars(reader, tag):
    return [(e.step, e.value) for e in reader.Scalars(tag)]


def test_every_tag_and_value_read_back_by_tensorboard(tmp_path, rng):
    model, history, rec = small_run(tmp_path, rng)
    reader = event_reader(tmp_path / "tb")
    names = [n for n, _ in model.named_parameters()]
    tags = reader.Tags()
    epoch_keys = [k for k, v in history[0].items() if k != "epoch" and isinstance(v, float)]
    assert set(tags["scalars"]) == (
        {"train/loss", "train/lr", "grad_norm/total"} | {f"grad_norm/{n}" for n in names}
        | {f"epoch/{k}" for k in epoch_keys}
        | {"hparam/loss", "hparam/accuracy", "hparam/val_loss", "hparam/val_accuracy"})
    assert set(tags["histograms"]) == {f"{kind}/{n}" for kind in ("weights", "grads")
                                       for n in names}
    assert tags["images"] == ["filters/0.weight"]

    steps = list(range(1, 5))                   # 2 epochs of 2 batches: global steps 1..4
    assert scalars(reader, "train/loss") == [(s, pytest.approx(v, rel=1e-6))
                                             for s, v in zip(steps, rec.loss)]
    assert scalars(reader, "train/lr") == [(s, pytest.approx(v, rel=1e-6))     # StepLR halves
                                           for s, v in zip(steps, [0.1, 0.1, 0.05, 0.05])]
    for name in names:
        assert scalars(reader, f"grad_norm/{name}") == [
            (s, pytest.approx(norms[name], rel=1e-6)) for s, norms in zip(steps, rec.norms)]
    assert scalars(reader, "grad_norm/total") == [
        (s, pytest.approx(math.sqrt(sum(v * v for v in norms.values())), rel=1e-6))
        for s, norms in zip(steps, rec.norms)]
    for key in epoch_keys:
        assert scalars(reader, f"epoch/{key}") == [
            (r["epoch"], pytest.approx(r[key], rel=1e-6)) for r in history]
    for epoch, (weights, grads) in enumerate(zip(rec.weights, rec.grads), start=1):
        for kind, arrays in (("weights", weights), ("grads", grads)):
            for name in names:
                event = reader.Histograms(f"{kind}/{name}")[epoch - 1]
                h, a = event.histogram_value, arrays[name].astype(np.float64)
                assert event.step == epoch and h.num == a.size
                assert (h.min, h.max) == (pytest.approx(a.min()), pytest.approx(a.max()))
                assert h.sum == pytest.approx(a.sum(), rel=1e-6, abs=1e-9)
                assert h.sum_squares == pytest.approx((a * a).sum(), rel=1e-6)


def test_filters_image_and_hparams(tmp_path, rng):
    from PIL import Image

    model, history, rec = small_run(tmp_path, rng)
    reader = event_reader(tmp_path / "tb")
    images = reader.Images("filters/0.weight")
    assert [e.step for e in images] == [1, 2]
    expected = np.round(filter_grid(rec.weights[-1]["0.weight"]) * 255)
    decoded = np.asarray(Image.open(io.BytesIO(images[-1].encoded_image_string)))
    assert (images[-1].height, images[-1].width) == expected.shape
    decoded = decoded if decoded.ndim == 2 else decoded[..., 0]
    assert np.abs(decoded.astype(float) - expected).max() <= 1

    from tensorboard.plugins.hparams import plugin_data_pb2

    content = reader.PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    hp = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
          for k, v in session.hparams.items()}
    assert hp == {"model": "Sequential", "optimizer": "SGD", "epochs": 2, "batch_size": 8,
                  "lr": pytest.approx(0.1), "momentum": 0.9, "dampening": 0,
                  "weight_decay": 0, "nesterov": False, "maximize": False,
                  "initial_lr": pytest.approx(0.1)}     # lr as it began, before the decay
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/experiment"]).experiment
    assert {m.name.tag for m in experiment.metric_infos} == {
        "hparam/loss", "hparam/accuracy", "hparam/val_loss", "hparam/val_accuracy"}
    assert scalars(reader, "hparam/val_loss") == [(2, pytest.approx(history[-1]["val_loss"]))]


def test_missing_tensorboardx_is_one_clear_error(tmp_path, monkeypatch):
    import sys

    from nnblocks.train.tensorboard import TensorBoard

    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'nnblocks\[tensorboard\]'"):
        TensorBoard(tmp_path).on_train_begin(None)


def test_a_resumed_run_continues_the_global_step(tmp_path, rng):
    x = rng.standard_normal((12, 3)).astype(np.float32)
    y = rng.integers(0, 2, 12)
    model = nn.Linear(3, 2, rng=rng)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(ArrayDataset(x, y), batch_size=4, shuffle=False)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, progress=False,
                  tensorboard=tmp_path)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, start_epoch=1,
        history=history, progress=False, tensorboard=tmp_path)
    reader = event_reader(tmp_path)
    assert [e.step for e in reader.Scalars("train/loss")] == [1, 2, 3, 4, 5, 6]
    assert [e.step for e in reader.Scalars("epoch/loss")] == [1, 2]
