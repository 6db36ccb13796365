"""A tqdm progress bar per epoch showing loss, accuracy and samples/s; silent when not wanted."""

from __future__ import annotations

import sys
import time
from typing import Any


class EpochBar:
    """One epoch's bar on stderr; does nothing when disabled (``--quiet`` or not a terminal).

    Postfix values are refreshed at most ten times a second, so the bar costs little per batch.
    """

    def __init__(self, total: int, epoch: int, epochs: int, enabled: bool = True) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True,
                file=sys.stderr, dynamic_ncols=True,
            )
        self.start = time.perf_counter()
        self.last_refresh = 0.0

    def update(self, loss: float, accuracy: float | None, samples: int) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last_refresh >= 0.1:
            self.last_refresh = now
            self.bar.set_postfix(self._postfix(loss, accuracy, samples, now), refresh=False)

    def close(self, record: dict[str, Any] | None = None) -> None:
        if self.bar is None:
            return
        if record is not None:
            postfix = {"loss": f"{record['loss']:.4f}"}
            for key in ("accuracy", "val_loss", "val_accuracy"):
                if record.get(key) is not None:
                    postfix[key.replace("accuracy", "acc")] = f"{record[key]:.4f}"
            postfix["samples/s"] = f"{record['samples_per_second']:.0f}"
            self.bar.set_postfix(postfix, refresh=False)
        self.bar.close()

    def _postfix(self, loss: float, accuracy: float | None, samples: int, now: float) -> dict:
        postfix = {"loss": f"{loss:.4f}"}
        if accuracy is not None:
            postfix["acc"] = f"{accuracy:.4f}"
        postfix["samples/s"] = f"{samples / max(now - self.start, 1e-9):.0f}"
        return postfix
