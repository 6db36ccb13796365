"""Convolution with the flipped kernel beside cross-correlation, and why learning makes the
difference immaterial.

Same as ``nnblocks demo true-convolution --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/true_convolution.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/true_convolution.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import true_convolution

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = true_convolution.run(out_dir, rng=np.random.default_rng(0))
    print(true_convolution.format_results(results))
