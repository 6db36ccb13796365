"""Vanishing and exploding gradients through time, and gradient clipping.

Same as ``nnblocks demo bptt --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/bptt.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/bptt.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import bptt

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = bptt.run(out_dir, rng=np.random.default_rng(0))
    print(bptt.format_results(results))
