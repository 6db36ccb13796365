"""``python -m nnblocks``: the ``nnblocks`` command."""

import sys

from nnblocks.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
