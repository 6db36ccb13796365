"""Naive loop references for convolution, locally connected layers, Sobel and pooling.

Written straight from the definitions, one output element at a time, in float64: slow on
purpose, so that nothing of the fast im2col/GEMM code is shared with what checks it.
"""

from __future__ import annotations

import math

import numpy as np


def _pad(x: np.ndarray, top: int, bottom: int, left: int, right: int,
         value: float = 0.0) -> np.ndarray:
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value)
    out[:, :, top:top + h, left:left + w] = x
    return out


def conv2d_loop(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """``y[n, o, i, j] = b[o] + Σ_{c, a, q} w[o, c, a, q] x_p[n, g C_g + c, i s + a d, j s + q d]``
    with ``pads = (top, bottom, left, right)``."""
    xp = _pad(np.asarray(x, dtype=np.float64), *pads)
    n, c_in, hp, wp = xp.shape
    c_out, c_g, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    per_group = c_out // groups
    y = np.zeros((n, c_out, ho, wo))
    for s in range(n):
        for o in range(c_out):
            g = o // per_group
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else float(b[o])
                    for c in range(c_g):
                        for a in range(kh):
                            for q in range(kw):
                                total += w[o, c, a, q] * xp[s, g * c_g + c, i * sh + a * dh,
                                                            j * sw + q * dw]
                    y[s, o, i, j] = total
    return y


def local2d_loop(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """``y[n, o, i, j] = b[o, i, j] + Σ_{c, a, q} w[i, j, o, c, a, q] x_p[n, c, i s + a, j s + q]``.
    """
    ph, pw = padding
    xp = _pad(np.asarray(x, dtype=np.float64), ph, ph, pw, pw)
    n = xp.shape[0]
    ho, wo, c_out, c_in, kh, kw = w.shape
    sh, sw = stride
    y = np.zeros((n, c_out, ho, wo))
    for s in range(n):
        for i in range(ho):
            for j in range(wo):
                for o in range(c_out):
                    total = 0.0 if b is None else float(b[o, i, j])
                    for c in range(c_in):
                        for a in range(kh):
                            for q in range(kw):
                                total += w[i, j, o, c, a, q] * xp[s, c, i * sh + a, j * sw + q]
                    y[s, o, i, j] = total
    return y


def local1d_loop(x, w, b=None, stride=1, padding=0):
    """1-D: ``y[n, o, j] = b[o, j] + Σ_{c, q} w[j, o, c, q] x_p[n, c, j s + q]``."""
    w6 = np.asarray(w)[None, :, :, :, None, :]
    b3 = None if b is None else np.asarray(b)[:, None, :]
    return local2d_loop(np.asarray(x)[:, :, None], w6, b3, (1, stride), (0, padding))[:, :, 0]


def sobel_loop(image: np.ndarray) -> np.ndarray:
    """Sobel responses ``(2, H, W)`` of one 2-D image, zero padding 1, by a double loop over
    pixels: ``gx = left column minus right column`` (weights 1, 2, 1), ``gy = top row minus
    bottom row``."""
    h, w = image.shape
    p = np.zeros((h + 2, w + 2))
    p[1:-1, 1:-1] = image
    out = np.zeros((2, h, w))
    for i in range(h):
        for j in range(w):
            r, c = i + 1, j + 1
            left = p[r - 1, c - 1] + 2 * p[r, c - 1] + p[r + 1, c - 1]
            right = p[r - 1, c + 1] + 2 * p[r, c + 1] + p[r + 1, c + 1]
            top = p[r - 1, c - 1] + 2 * p[r - 1, c] + p[r - 1, c + 1]
            bottom = p[r + 1, c - 1] + 2 * p[r + 1, c] + p[r + 1, c + 1]
            out[0, i, j] = left - right
            out[1, i, j] = top - bottom
    return out


def max_pool2d_loop(x, kernel, stride, padding=(0, 0)):
    """Max over each window (floor mode), ignoring padding; first maximum's flat index."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    y = np.zeros((n, c, ho, wo))
    idx = np.zeros((n, c, ho, wo), dtype=np.int64)
    for s in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    best, where = -math.inf, -1
                    for a in range(kh):
                        for q in range(kw):
                            r, col = i * sh - ph + a, j * sw - pw + q
                            if 0 <= r < h and 0 <= col < w and x[s, ch, r, col] > best:
                                best, where = x[s, ch, r, col], r * w + col
                    y[s, ch, i, j], idx[s, ch, i, j] = best, where
    return y, idx
