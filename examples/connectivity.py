"""Parameters and multiply-adds: fully vs locally connected vs convolutional.

Same as ``nnblocks demo connectivity --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/connectivity.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/connectivity.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import connectivity

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = connectivity.run(out_dir, rng=np.random.default_rng(0))
    print(connectivity.format_results(results))
