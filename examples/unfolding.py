"""An RNN folded and unfolded in time; BPTT on the unfolded graph equals the fused block.

Same as ``nnblocks demo unfolding --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/unfolding.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib and Graphviz).

    python examples/unfolding.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import unfolding

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = unfolding.run(out_dir, rng=np.random.default_rng(0))
    print(unfolding.format_results(results))
