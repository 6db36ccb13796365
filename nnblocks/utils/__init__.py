"""PyTorch's ``torch.utils`` spelling: ``nnblocks.utils.data`` re-exports the data loading API."""

from nnblocks.utils import data

__all__ = ["data"]
