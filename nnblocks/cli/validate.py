"""Type checks of a run config read from a checkpoint (a hand-edited manifest must give a
``CheckpointError`` naming the field, never a ``TypeError`` deep inside training)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnblocks.cli.presets import OPTIMIZERS, SCHEDULES
from nnblocks.data import DATASETS
from nnblocks.io import CheckpointError
from nnblocks.models import MODELS


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _bad(path: Path, field: str, value: Any, expected: str) -> CheckpointError:
    return CheckpointError(f"{path}: config field {field!r} is {value!r:.60} "
                           f"({type(value).__name__}), expected {expected}")


def check_config_types(path: Path, config: dict[str, Any]) -> None:
    """:class:`CheckpointError` naming the first field of ``config`` that is present with a
    wrong type or an unknown name (a model, dataset, optimizer class or schedule)."""
    model = config.get("model")
    if isinstance(model, dict) and model.get("name") not in MODELS:
        raise _bad(path, "model.name", model.get("name"), f"one of {', '.join(MODELS)}")
    dataset = config.get("dataset")
    if "dataset" in config and not isinstance(dataset, dict):
        raise _bad(path, "dataset", dataset, "an object")
    if isinstance(dataset, dict) and dataset.get("name") not in DATASETS:
        raise _bad(path, "dataset.name", dataset.get("name"), f"one of {', '.join(DATASETS)}")
    for key, minimum in (("epochs", 1), ("batch_size", 1), ("seed", 0)):
        if key in config and not _is_int(config[key], minimum):
            raise _bad(path, key, config[key], f"an integer >= {minimum}")
    if config.get("patience") is not None and not _is_int(config["patience"], 1):
        raise _bad(path, "patience", config["patience"], "an integer >= 1 or null")
    if "optimizer" in config:
        _check_optimizer(path, config["optimizer"])
    if "schedule" in config:
        _check_schedule(path, config["schedule"])
    info = config.get("data_info")
    if info is not None and not isinstance(info, dict):
        raise _bad(path, "data_info", info, "an object")


def _check_optimizer(path: Path, optimizer: Any) -> None:
    if not isinstance(optimizer, dict):
        raise _bad(path, "optimizer", optimizer, "an object")
    name = optimizer.get("name")
    if name not in OPTIMIZERS:
        raise _bad(path, "optimizer.name", name, f"one of {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[name][0]
    if optimizer.get("class") != cls:
        raise _bad(path, "optimizer.class", optimizer.get("class"), f"{cls!r} for {name!r}")
    if not _is_number(optimizer.get("lr")):
        raise _bad(path, "optimizer.lr", optimizer.get("lr"), "a positive number")
    for key, value in optimizer.items():
        if key not in ("name", "class", "lr") and not isinstance(value, (int, float)):
            raise _bad(path, f"optimizer.{key}", value, "a number")


def _check_schedule(path: Path, schedule: Any) -> None:
    if not isinstance(schedule, dict):
        raise _bad(path, "schedule", schedule, "an object")
    name = schedule.get("name")
    if name not in SCHEDULES:
        raise _bad(path, "schedule.name", name, f"one of {', '.join(SCHEDULES)}")
    for key in ("T_max", "step_size"):
        if key in schedule and not _is_int(schedule[key], 1):
            raise _bad(path, f"schedule.{key}", schedule[key], "an integer >= 1")
    if "gamma" in schedule and not _is_number(schedule["gamma"]):
        raise _bad(path, "schedule.gamma", schedule["gamma"], "a positive number")
