"""Tools shipped to users for trusting derivatives: gradient checks of blocks and modules."""

from nnblocks.testing.gradcheck import GradcheckError, gradcheck
from nnblocks.testing.modules import check_module

__all__ = ["GradcheckError", "check_module", "gradcheck"]
