"""Sobel kernels as a Conv2d: edge maps of a real image.

Same as ``nnblocks demo sobel --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/sobel.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/sobel.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import sobel

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = sobel.run(out_dir, rng=np.random.default_rng(0))
    print(sobel.format_results(results))
