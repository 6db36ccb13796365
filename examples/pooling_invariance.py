"""Max pooling and a one-pixel shift (Goodfellow et al. Fig. 9.8).

Same as ``nnblocks demo pooling-invariance --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/pooling_invariance.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/pooling_invariance.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import pooling_invariance

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = pooling_invariance.run(out_dir, rng=np.random.default_rng(0))
    print(pooling_invariance.format_results(results))
