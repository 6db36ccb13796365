"""The ``nnblocks`` command line: ``main(argv)`` in :mod:`nnblocks.cli.main`."""
