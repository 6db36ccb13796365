"""Constant vs Robbins-Monro decaying learning rate in minibatch SGD.

Same as ``nnblocks demo lr-decay --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/lr_decay.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/lr_decay.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import lr_decay

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = lr_decay.run(out_dir, rng=np.random.default_rng(0))
    print(lr_decay.format_results(results))
