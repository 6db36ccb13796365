"""Filters, feature maps and the layer-by-layer hierarchy of a CNN trained on digits.

Same as ``nnblocks demo features --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/features.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/features.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import features

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = features.run(out_dir, rng=np.random.default_rng(0))
    print(features.format_results(results))
