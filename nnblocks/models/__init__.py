"""The model zoo of the ``nnblocks`` command: each model is built from a JSON-able config, so a
checkpoint that stores the config can rebuild it.

>>> config = model_config("mlp", input_shape=(1, 8, 8), num_classes=10, hidden_sizes=[32])
>>> config
{'name': 'mlp', 'hidden_sizes': [32], 'activation': 'relu', 'in_features': 64, 'out_features': 10}
>>> build_model(config, rng=np.random.default_rng(0)).num_parameters()
2410
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnblocks.models.charrnn import CharRNN, SequenceCrossEntropy
from nnblocks.models.cnn import CNNBN, LeNet
from nnblocks.models.mlp import FlatMLP
from nnblocks.models.rnn import SequenceClassifier

#: name → (class, default settings); the data decides the sizes (see :func:`model_config`)
MODELS: dict[str, tuple[type, dict[str, Any]]] = {
    "mlp": (FlatMLP, {"hidden_sizes": [128], "activation": "relu"}),
    "lenet": (LeNet, {}),
    "cnn-bn": (CNNBN, {"channels": [32, 64]}),
    "rnn": (SequenceClassifier, {"hidden_size": 64, "num_layers": 1, "cell": "gru"}),
    "charrnn": (CharRNN, {"hidden_size": 128, "num_layers": 1, "cell": "lstm"}),
}


def model_config(
    name: str, input_shape: Sequence[int], num_classes: int, **overrides: Any
) -> dict[str, Any]:
    """The full config of model ``name`` for inputs of ``input_shape`` (one example) and
    ``num_classes`` outputs; ``overrides`` replace default settings."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    shape = tuple(int(s) for s in input_shape)
    config: dict[str, Any] = {"name": name, **copy.deepcopy(MODELS[name][1])}
    unknown = set(overrides) - set(config)
    if unknown:
        raise ValueError(f"model {name!r} has no setting(s) {sorted(unknown)}")
    config.update(overrides)
    if name == "mlp":
        config.update(in_features=math.prod(shape), out_features=int(num_classes))
    elif name in ("lenet", "cnn-bn"):
        if len(shape) != 3:
            raise ValueError(f"model {name!r} needs images (C, H, W), the data has {shape}")
        config.update(in_channels=shape[0], num_classes=int(num_classes),
                      image_size=list(shape[1:]))
    elif name == "rnn":
        if len(shape) not in (2, 3):
            raise ValueError(f"model 'rnn' needs sequences (T, D) or images, the data has {shape}")
        input_size = shape[-1] if len(shape) == 2 else shape[0] * shape[2]
        config.update(input_size=input_size, num_classes=int(num_classes))
    else:
        if len(shape) != 1:
            raise ValueError(f"model 'charrnn' needs character ids (T,), the data has {shape}")
        config.update(vocab_size=int(num_classes))
    return config


def build_model(config: dict[str, Any], rng: np.random.Generator | None = None) -> Any:
    """A new model from its config (parameters initialized from ``rng``)."""
    name = config.get("name")
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    settings = {k: v for k, v in config.items() if k != "name"}
    try:
        return MODELS[name][0](**settings, rng=rng)
    except TypeError as e:
        raise ValueError(f"model {name!r}: bad settings {sorted(settings)} ({e})") from None


def loss_for(config: dict[str, Any]) -> Any:
    """The training loss that goes with a model: per-step cross-entropy for ``charrnn``."""
    from nnblocks import nn

    return SequenceCrossEntropy() if config["name"] == "charrnn" else nn.CrossEntropyLoss()


__all__ = [
    "CNNBN", "MODELS", "CharRNN", "FlatMLP", "LeNet", "SequenceClassifier",
    "SequenceCrossEntropy", "build_model", "loss_for", "model_config",
]
