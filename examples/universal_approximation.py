"""One hidden layer of sigmoids fits sin(x) + a bump (Cybenko 1989).

Same as ``nnblocks demo universal-approximation --out OUT_DIR``: prints the numbers and writes
``OUT_DIR/universal_approximation.png`` (default ``OUT_DIR``: ``docs``;
the figure needs matplotlib).

    python examples/universal_approximation.py [OUT_DIR]
"""

import sys

import numpy as np

from nnblocks.demos import universal_approximation

if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    results = universal_approximation.run(out_dir, rng=np.random.default_rng(0))
    print(universal_approximation.format_results(results))
