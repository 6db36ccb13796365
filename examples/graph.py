"""The computational graph of an MLP: fused blocks, and expanded into primitive blocks.

Same as ``nnblocks demo graph --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/graph.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib and Graphviz).

    python examples/graph.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import graph

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = graph.run(out_dir, rng=np.random.default_rng(0))
    print(graph.format_results(results))
