"""A tqdm progress bar per epoch showing loss, accuracy and samples/s; silent when not wanted."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

#: the bar's layout: tqdm's default without its batches/s rate (samples/s is in the postfix),
#: so the numbers fit an 80-column terminal:
#: ``epoch 3/10  45%|███▌    | 9/20 [00:00<00:00, loss 0.1226, acc 0.9688, 4227 samples/s]``
BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"

#: width used when the terminal reports none (a pseudo-terminal of size 0, as ``script`` makes)
FALLBACK_COLUMNS = 80
#: height given to tqdm in that case: from a height of 0 it derives -1 rows and draws nothing
FALLBACK_ROWS = 24


class EpochBar:
    """One epoch's bar on stderr; does nothing when disabled (``--quiet`` or not a terminal).

    Postfix values are refreshed at most every ``REFRESH_SECONDS``, so the bar costs little.
    At the end of the epoch the bar gives way to one line with the epoch's loss, accuracy,
    validation loss and accuracy, and speed (written whole, even on a narrow terminal).
    """

    REFRESH_SECONDS = 0.1

    def __init__(self, total: int, epoch: int, epochs: int, enabled: bool = True) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            columns = _terminal_columns()
            self.bar = tqdm(
                total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False,
                file=sys.stderr, bar_format=BAR_FORMAT, dynamic_ncols=columns is None,
                ncols=columns, nrows=None if columns is None else FALLBACK_ROWS,
                mininterval=self.REFRESH_SECONDS,
            )
        self.start = time.perf_counter()
        self.last_refresh = 0.0

    def update(self, loss: float, accuracy: float | None, samples: int) -> None:
        if self.bar is None:
            return
        now = time.perf_counter()
        if now - self.last_refresh >= self.REFRESH_SECONDS:
            self.last_refresh = now
            speed = samples / max(now - self.start, 1e-9)
            self.bar.set_postfix_str(_postfix(loss, accuracy, None, None, speed), refresh=False)
        self.bar.update(1)                   # draws (at most every REFRESH_SECONDS)

    def close(self, record: dict[str, Any] | None = None) -> None:
        if self.bar is None:
            return
        bar, self.bar = self.bar, None
        line = None
        if record is not None:
            elapsed = bar.format_interval(bar.format_dict["elapsed"])
            line = f"{bar.desc} {bar.n}/{bar.total} [{elapsed}, " + _postfix(
                record["loss"], record.get("accuracy"), record.get("val_loss"),
                record.get("val_accuracy"), record["samples_per_second"]) + "]"
        bar.close()
        if line is not None:
            bar.write(line, file=sys.stderr)


def _postfix(loss: float, accuracy: float | None, val_loss: float | None,
             val_accuracy: float | None, speed: float) -> str:
    parts = [f"loss {loss:.4f}"]
    if accuracy is not None:
        parts.append(f"acc {accuracy:.4f}")
    if val_loss is not None:
        parts.append(f"val_loss {val_loss:.4f}")
    if val_accuracy is not None:
        parts.append(f"val_acc {val_accuracy:.4f}")
    parts.append(f"{speed:.0f} samples/s")
    return ", ".join(parts)


def _terminal_columns() -> int | None:
    """None when stderr's terminal reports a width (tqdm follows it), else the fallback."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return FALLBACK_COLUMNS
    return None if columns > 0 else FALLBACK_COLUMNS
