"""Hand-crafted Sobel/Gabor features + a linear classifier vs learned CNN filters on digits.

Same as ``nnblocks demo handcrafted-vs-learned --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/handcrafted_vs_learned.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/handcrafted_vs_learned.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import handcrafted_vs_learned

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = handcrafted_vs_learned.run(out_dir, rng=np.random.default_rng(0))
    print(handcrafted_vs_learned.format_results(results))
