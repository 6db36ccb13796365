"""Convolutional classifiers of images ``(N, C, H, W)``: ``lenet`` and ``cnn-bn``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnblocks import nn


def _pooled(size: Sequence[int], times: int) -> tuple[int, int]:
    """Spatial size after ``times`` 2×2 max-pools (floor, as PyTorch)."""
    h, w = int(size[0]), int(size[1])
    for _ in range(times):
        h, w = h // 2, w // 2
    if h < 1 or w < 1:
        raise ValueError(f"image of size {tuple(size)} is too small for {times} 2x2 poolings")
    return h, w


class LeNet(nn.Sequential):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max-pooling, "same" 5×5 convolutions so it fits
    any image size: ``conv(6) → pool → conv(16) → pool → fc 120 → fc 84 → fc classes``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        image_size: Sequence[int] = (28, 28),
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        h, w = _pooled(image_size, 2)
        super().__init__(
            nn.Conv2d(in_channels, 6, 5, padding=2, rng=rng),        # (N, 6, H, W)
            nn.ReLU(),
            nn.MaxPool2d(2),                                          # (N, 6, H/2, W/2)
            nn.Conv2d(6, 16, 5, padding=2, rng=rng),                  # (N, 16, H/2, W/2)
            nn.ReLU(),
            nn.MaxPool2d(2),                                          # (N, 16, H/4, W/4)
            nn.Flatten(),
            nn.Linear(16 * h * w, 120, rng=rng),
            nn.ReLU(),
            nn.Linear(120, 84, rng=rng),
            nn.ReLU(),
            nn.Linear(84, num_classes, rng=rng),                      # (N, classes)
        )


class CNNBN(nn.Sequential):
    """A small VGG-style CNN with batch normalization: ``[conv 3×3 → BN → ReLU] × 2 → pool →
    conv 3×3 → BN → ReLU → pool → fc``, widths ``channels = (c1, c2)``.
    Convolutions before BN have no bias (BN's shift replaces it).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        image_size: Sequence[int] = (28, 28),
        channels: Sequence[int] = (32, 64),
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        c1, c2 = int(channels[0]), int(channels[1])
        h, w = _pooled(image_size, 2)
        super().__init__(
            nn.Conv2d(in_channels, c1, 3, padding=1, bias=False, rng=rng),   # (N, c1, H, W)
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.Conv2d(c1, c1, 3, padding=1, bias=False, rng=rng),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),                                                  # (N, c1, H/2, W/2)
            nn.Conv2d(c1, c2, 3, padding=1, bias=False, rng=rng),            # (N, c2, H/2, W/2)
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),                                                  # (N, c2, H/4, W/4)
            nn.Flatten(),
            nn.Linear(c2 * h * w, num_classes, rng=rng),                     # (N, classes)
        )
