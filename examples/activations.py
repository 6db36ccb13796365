"""Sigmoid, tanh, ReLU, ELU and a maxout unit with their derivatives (from backward).

Same as ``nnblocks demo activations --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/activations.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/activations.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import activations

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = activations.run(out_dir, rng=np.random.default_rng(0))
    print(activations.format_results(results))
