"""The converters, one module per family of blocks (mirroring :mod:`nnblocks.functional`);
importing this package registers them all in :data:`nnblocks.onnx.registry.CONVERTERS`."""

from nnblocks.onnx.ops import (  # noqa: F401 - imported for their registrations
    activation,
    conv,
    cumulative,
    embedding,
    linear,
    math,
    norm,
    pool,
    recurrent,
    resample,
    shape,
)
