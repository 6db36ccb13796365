"""Benchmarks of nnblocks against PyTorch on CPU: ``python benchmarks/run.py --help``."""
