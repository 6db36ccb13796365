"""The model zoo: built from JSON configs, right output shapes, checkpoint round trip, PyTorch
layouts, and char-RNN sampling."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.models import MODELS, build_model, loss_for, model_config
from tests.conftest import import_torch

SHAPES = {  # model -> (input shape of one example, classes, input dtype)
    "mlp": ((1, 8, 8), 10, np.float32),
    "lenet": ((1, 12, 10), 3, np.float32),
    "cnn-bn": ((3, 8, 8), 4, np.float32),
    "rnn": ((6, 2), 2, np.float32),
    "charrnn": ((5,), 7, np.int64),
}


def _inputs(name, rng, n=3):
    shape, classes, dtype = SHAPES[name]
    if dtype == np.int64:
        return nb.tensor(rng.integers(0, classes, (n,) + shape))
    return nb.tensor(rng.standard_normal((n,) + shape).astype(np.float32))


@pytest.mark.parametrize("name", list(MODELS))
def test_models_build_from_json_configs(name, rng):
    shape, classes, _ = SHAPES[name]
    config = json.loads(json.dumps(model_config(name, shape, classes)))   # survives JSON
    model = build_model(config, rng=np.random.default_rng(0))
    x = _inputs(name, rng)
    y = model(x)
    expected = (3, 5, classes) if name == "charrnn" else (3, classes)
    assert y.shape == expected and y.dtype == np.float32
    targets = nb.tensor(rng.integers(0, classes, expected[:-1]))
    loss = loss_for(config)(y, targets)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    twin = build_model(config, rng=np.random.default_rng(1))
    twin.load_state_dict(model.state_dict())
    model.eval()
    twin.eval()
    with nb.no_grad():
        np.testing.assert_array_equal(twin(x).array, model(x).array)


def test_config_errors():
    with pytest.raises(ValueError, match="unknown model"):
        model_config("resnet", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="needs images"):
        model_config("lenet", (8, 2), 10)
    with pytest.raises(ValueError, match="no setting"):
        model_config("mlp", (4,), 2, depth=3)
    with pytest.raises(ValueError, match="bad settings"):
        build_model({"name": "mlp", "in_features": 4})


def test_rnn_reads_images_row_by_row(rng):
    config = model_config("rnn", (1, 8, 8), 10, hidden_size=16)
    assert config["input_size"] == 8
    model = build_model(config, rng=rng)
    assert model(nb.tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32))).shape == (2, 10)


def test_charrnn_sampling_is_reproducible(rng):
    model = build_model(model_config("charrnn", (5,), 6, hidden_size=8, cell="gru"), rng=rng)
    a = model.sample([1, 2], 20, temperature=0.7, rng=np.random.default_rng(3))
    b = model.sample([1, 2], 20, temperature=0.7, rng=np.random.default_rng(3))
    assert a.shape == (20,) and (a == b).all() and a.max() < 6 and model.training
    with pytest.raises(ValueError, match="temperature"):
        model.sample([1], 3, temperature=0.0)
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        model(nb.tensor(np.array([[9]])))


def test_cnn_bn_and_mlp_match_pytorch(rng):
    torch = import_torch()
    tnn = torch.nn
    config = model_config("cnn-bn", (1, 8, 8), 10, channels=[4, 6])
    ours = build_model(config, rng=rng)
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1, bias=False), tnn.BatchNorm2d(4), tnn.ReLU(),
        tnn.Conv2d(4, 4, 3, padding=1, bias=False), tnn.BatchNorm2d(4), tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(4, 6, 3, padding=1, bias=False), tnn.BatchNorm2d(6), tnn.ReLU(),
        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(6 * 2 * 2, 10)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    x = rng.standard_normal((5, 1, 8, 8))
    np.testing.assert_allclose(ours(nb.tensor(x)).array,
                               theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-10)
    mlp = build_model(model_config("mlp", (2, 3), 4, hidden_sizes=[5]), rng=rng).double()
    tmlp = tnn.Sequential(tnn.Linear(6, 5), tnn.ReLU(), tnn.Linear(5, 4)).double()
    mlp.load_state_dict({f"net.{k}": v.numpy() for k, v in tmlp.state_dict().items()})
    x = rng.standard_normal((3, 2, 3))
    np.testing.assert_allclose(mlp(nb.tensor(x)).array,
                               tmlp(torch.from_numpy(x).reshape(3, 6)).detach().numpy(),
                               atol=1e-12)
