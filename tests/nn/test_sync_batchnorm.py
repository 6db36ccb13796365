"""SyncBatchNorm in one process (no process group): plain batch norm; conversion of a model."""

from __future__ import annotations

import numpy as np

import nnblocks as nb
import nnblocks.nn as nn


def test_convert_keeps_parameters_and_matches_batchnorm(rng: np.random.Generator) -> None:
    model = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=np.float64), nn.BatchNorm2d(3, dtype=np.float64),
                          nn.ReLU())
    reference = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=np.float64),
                              nn.BatchNorm2d(3, dtype=np.float64), nn.ReLU())
    reference.load_state_dict(model.state_dict())
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm)
    assert converted[1].weight is weight                     # the same Parameter objects
    x = nb.tensor(rng.standard_normal((4, 1, 6, 6)))
    y, want = converted(x), reference(x)
    np.testing.assert_allclose(y.array, want.array, rtol=1e-12)
    y.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(converted[0].weight.grad, reference[0].weight.grad, rtol=1e-10)
    np.testing.assert_allclose(converted[1].running_var, reference[1].running_var, rtol=1e-12)
    assert "SyncBatchNorm" in repr(converted)
