"""SGD, momentum, delta-bar-delta, Adagrad, RMSprop, Adam on a quadratic and Rosenbrock.

Same as ``nnblocks demo optimizers --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/optimizers.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/optimizers.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import optimizers

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = optimizers.run(out_dir, rng=np.random.default_rng(0))
    print(optimizers.format_results(results))
