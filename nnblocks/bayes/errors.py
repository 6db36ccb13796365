"""Exceptions raised by :mod:`nnblocks.bayes`.

Every error is a :class:`ValueError` subclass (so ``except ValueError`` keeps working) and its
message names the node involved and shows what was expected next to what was given.
"""

from __future__ import annotations


class BayesNetError(ValueError):
    """Base class of all errors raised by :mod:`nnblocks.bayes`."""


class UnknownNodeError(BayesNetError, KeyError):
    """A node name that is not in the network (also a :class:`KeyError`, as a lookup failure)."""

    def __str__(self) -> str:
        # KeyError would print the repr of the message (with quotes); keep it readable.
        return str(self.args[0]) if self.args else ""


class UnknownStateError(BayesNetError):
    """A state name (or state index) that the node does not declare."""


class CycleError(BayesNetError):
    """An edge whose addition would make the graph cyclic."""


class CPTError(BayesNetError):
    """A conditional probability table of the wrong layout, shape or values."""


class FactorTooLargeError(BayesNetError):
    """Exact inference would build an intermediate factor above the configured size limit."""


class ZeroProbabilityEvidenceError(BayesNetError):
    """The evidence has probability zero under the model, so no posterior exists."""
