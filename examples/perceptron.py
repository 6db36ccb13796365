"""Rosenblatt's perceptron on separable data and on XOR; a 2-layer MLP on XOR.

Same as ``nnblocks demo perceptron --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/perceptron.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/perceptron.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import perceptron

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = perceptron.run(out_dir, rng=np.random.default_rng(0))
    print(perceptron.format_results(results))
