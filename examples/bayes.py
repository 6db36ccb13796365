"""The sprinkler Bayes net: exact posteriors, explaining away, sampled vs exact estimates.

Same as ``nnblocks demo bayes --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/bayes.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/bayes.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.bayes import demo

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = demo.run(out_dir, rng=np.random.default_rng(0))
    print(demo.format_results(results))
