"""Conv(shift(x)) == shift(conv(x)); a fully convolutional net on several input sizes.

Same as ``nnblocks demo equivariance --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/equivariance.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/equivariance.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import equivariance

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = equivariance.run(out_dir, rng=np.random.default_rng(0))
    print(equivariance.format_results(results))
