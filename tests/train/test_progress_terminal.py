"""The progress bar on a terminal that reports a size of 0 x 0 (``script``, some CI and IDE
consoles): drawn 80 columns wide instead of not at all (issue 14)."""

from __future__ import annotations

import fcntl
import os
import struct
import sys
import termios

import pytest

from nnblocks.train import progress


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("rows, columns, width", [(0, 0, 80), (24, 100, None)])
def test_the_bar_is_drawn_on_a_terminal_of_size_zero(monkeypatch, rows, columns, width):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    with os.fdopen(slave, "w", buffering=1) as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        assert progress._terminal_columns() == width
        monkeypatch.setattr(progress.EpochBar, "REFRESH_SECONDS", 0.0)
        bar = progress.EpochBar(total=4, epoch=1, epochs=2)
        assert bar.bar is not None
        for _ in range(4):
            bar.update(loss=0.5, accuracy=0.75, samples=64)
        bar.close({"loss": 0.5, "accuracy": 0.75, "samples_per_second": 1000.0})
    os.set_blocking(master, False)
    drawn = b""
    try:
        while chunk := os.read(master, 65536):
            drawn += chunk
    except (BlockingIOError, OSError):
        pass
    os.close(master)
    text = drawn.decode("utf-8", "replace")
    assert "epoch 1/2" in text and "|" in text and "100%" in text   # the bar itself was drawn
    assert "loss 0.5000, acc 0.7500" in text                         # then the epoch's line
