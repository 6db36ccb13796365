"""Plots (matplotlib is optional and imported only when a plot is drawn)."""

from nnblocks.viz.curves import plot_curves

__all__ = ["plot_curves"]
