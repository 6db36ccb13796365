"""``nnblocks.nn.functional``: where PyTorch programs look for the functional layer API.

``import nnblocks.nn.functional as F`` gives exactly :mod:`nnblocks.functional` (one
implementation, two import paths), as ``torch.nn.functional`` in PyTorch programs.

>>> import nnblocks.nn.functional as F
>>> import nnblocks.functional
>>> F.relu is nnblocks.functional.relu
True
"""

from typing import Any

import nnblocks.functional as _functional
from nnblocks.functional import *  # noqa: F403 - the same names, by design
from nnblocks.functional import __all__  # noqa: F401 - re-exported as they are


def __getattr__(name: str) -> Any:
    return getattr(_functional, name)
