"""Array helpers for preparing data: standardization and one-hot encoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Standardize:
    r"""Shift and scale features to zero mean and unit variance, with statistics from training data.

    .. math::
        \mu = \frac{1}{n}\sum_i x_i, \qquad \sigma = \sqrt{\frac{1}{n}\sum_i (x_i - \mu)^2},
        \qquad z = \frac{x - \mu}{\max(\sigma, \epsilon)}

    ``axis`` names the axes averaged over (default 0: one statistic per feature; for NCHW images
    ``axis=(0, 2, 3)`` gives one per channel). Features with ``σ < eps`` (constant pixels) are
    only shifted. The statistics are plain lists in :meth:`to_config`, so a checkpoint's JSON
    can carry them and :meth:`from_config` rebuilds the same transform.

    >>> s = Standardize().fit(np.array([[1.0, 10.0], [3.0, 10.0]]))
    >>> s(np.array([[2.0, 10.0], [3.0, 12.0]])).tolist()
    [[0.0, 0.0], [1.0, 2.0]]
    """

    def __init__(self, axis: int | Sequence[int] = 0, eps: float = 1e-8) -> None:
        self.axis = tuple(axis) if isinstance(axis, Sequence) else (int(axis),)
        self.eps = float(eps)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> Standardize:
        x = np.asarray(x, dtype=np.float64)                              # (N, ...)
        self.mean = x.mean(axis=self.axis, keepdims=True)               # (1, ...) per feature
        std = x.std(axis=self.axis, keepdims=True)
        self.std = np.where(std < self.eps, 1.0, std)
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(x) on training data first")
        x = np.asarray(x)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)
        return ((x - self.mean) / self.std).astype(dtype)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Undo the transform: ``x = z·σ + μ``."""
        z = np.asarray(z)
        return (z * self.std + self.mean).astype(z.dtype)

    def to_config(self) -> dict[str, Any]:
        return {
            "axis": list(self.axis),
            "eps": self.eps,
            "mean": None if self.mean is None else self.mean.tolist(),
            "std": None if self.std is None else self.std.tolist(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Standardize:
        s = cls(axis=config["axis"], eps=config["eps"])
        if config["mean"] is not None:
            s.mean = np.asarray(config["mean"], dtype=np.float64)
            s.std = np.asarray(config["std"], dtype=np.float64)
        return s


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """Rows of the identity matrix picked by integer labels: shape ``labels.shape + (C,)``.

    >>> one_hot(np.array([0, 2]), 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {num_classes}), got range "
            f"[{labels.min()}, {labels.max()}]"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)          # (*, C)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out
