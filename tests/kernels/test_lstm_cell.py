"""The compiled LSTM step (nnblocks.kernels.lstm_cell) equals the NumPy reference of LSTMLayerBlock
to a few ulps (the C library's tanh instead of NumPy's), forward and backward, both
directions, with and without biases and incoming state gradients."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.functional.lstm import LSTMLayerBlock
from tests.kernels.conftest import both_paths


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("reverse, bias", [(False, True), (True, False)])
def test_lstm_layer_matches_numpy(dtype, tol, reverse, bias, rng) -> None:
    T, N, D, H = 7, 3, 5, 6
    x = rng.standard_normal((T, N, D)).astype(dtype)
    h0, c0 = (rng.standard_normal((N, H)).astype(dtype) for _ in range(2))
    w_ih = rng.standard_normal((4 * H, D)).astype(dtype)
    w_hh = (rng.standard_normal((4 * H, H)) * 0.5).astype(dtype)
    b = [rng.standard_normal(4 * H).astype(dtype) if bias else None for _ in range(2)]
    gy = rng.standard_normal((T, N, H)).astype(dtype)
    g_hn, g_cn = (rng.standard_normal((N, H)).astype(dtype) for _ in range(2))

    def run():
        (y, hn, cn), saved = LSTMLayerBlock.forward(x, h0, c0, w_ih, w_hh, *b, reverse=reverse)
        assert saved[-1] == (run.expect_compiled)
        grads = LSTMLayerBlock.backward(saved, (gy, g_hn, g_cn))
        return (y, hn, cn, *grads)

    run.expect_compiled = True
    import nnblocks.kernels as K

    previous = K.use_numba(True)
    try:
        compiled = run()
        K.use_numba(False)
        run.expect_compiled = False
        reference = run()
    finally:
        K.use_numba(previous)
    for got, want in zip(compiled, reference):
        if want is None:
            assert got is None
            continue
        assert got.dtype == want.dtype and got.shape == want.shape
        scale = max(float(np.max(np.abs(want))), 1.0)
        np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


def test_both_paths_helper_agrees_on_a_module(rng) -> None:
    import nnblocks as nb

    lstm = nb.nn.LSTM(4, 8, num_layers=2, bidirectional=True)
    x = nb.tensor(rng.standard_normal((5, 2, 4)).astype(np.float32), requires_grad=True)

    def run():
        x.grad = None
        for p in lstm.parameters():
            p.grad = None
        out, _ = lstm(x)
        (out * out).sum().backward()
        return np.asarray(out.array).copy(), np.asarray(x.grad).copy()

    (y, gx), (y_ref, gx_ref) = both_paths(run)
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=2e-6)
    np.testing.assert_allclose(gx, gx_ref, rtol=0, atol=2e-5 * max(1.0, np.abs(gx_ref).max()))
