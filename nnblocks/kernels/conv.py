r"""Compiled path of :class:`nnblocks.functional.conv.Conv2dBlock`: im2col + GEMM in chunks of
images.

The mathematics is the one derived in :mod:`nnblocks.functional.conv` (``Y = W X_col + b``,
``g_W = G X_col^T``, ``g_x = col2im(W^T G)``); what changes is how the work is laid out:

- **Chunks.** The batch is cut into chunks of a few images whose im2col matrices fit in a few
  MB, so they are written and read while still in cache. Training never keeps them: forward
  keeps a zero-padded copy of the input (~1.6x the input for LeNet's second convolution; its
  im2col matrix is ~25x, 20 MB at batch 64) and backward recomputes im2col from it.
- **Two layouts**, picked per convolution. *Pixel-major* (``rows``): one row per output pixel,
  ``cols[(m, i, j), (a, b, c)] = x_p[m, i s_h + a d_h, j s_w + b d_w, c]`` copied from an NHWC
  padded copy, where the run over ``(b, c)`` is contiguous (``k_w C`` values): fast when there
  are many channels. *Channel-major* (``cols``): ``cols[m, (c, a, b), (i, j)]``, contiguous runs
  along an output row (``W_o`` values): for few channels (a first layer on grey images). The
  weight matrix is laid out to match.
- **GEMMs** (NumPy's BLAS), oriented so no big relayout is needed: pixel-major forward is one
  GEMM per chunk whose ``(k P, O)`` result a kernel transposes to NCHW adding the bias; all
  others are one GEMM per image straight on NCHW arrays (``y_m = W X_m``, ``g_W = Σ_m G_m X_m``,
  ``g_{X_m} = W^T G_m`` or its transpose).
- **Kernels.** The copies (im2col, padding) and scatter-adds (col2im) are loops over flat
  arrays with unsigned indices, which numba vectorizes.
- **Threads.** Chunks are shared among threads (:mod:`nnblocks.kernels.threads`); the weight and
  bias gradients are summed image by image and chunk by chunk, in order, so the result does not
  depend on the number of threads.

Groups: the channels of group ``g`` form one block of columns (pixel-major order
``(g, a, b, c_g)``) or rows of each image's matrix, and each group is its own GEMM.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from nnblocks.kernels import kernel, threads

Array = np.ndarray
U = np.uint64

#: elements of one chunk's im2col matrix (2 MiB of float32): measured on LeNet's conv2 at
#: batch 64, chunks of 4-16 images ran the GEMMs at the same speed, one chunk of 64 ~25% slower
CHUNK_ELEMENTS = 1 << 19
#: the number of chunks is a multiple of this (when the batch allows), so 1, 2 or 4 threads get
#: equal shares; it does not depend on the thread count, so neither do the results
CHUNK_MULTIPLE = 4
#: pixel-major layout when a contiguous run of the copy has at least this many elements
ROWS_MIN_RUN = 16


# ---------------------------------------------------------------------- kernels
@kernel
def im2col_rows(xp, k, hp, wp, c, kh, kw, sh, sw, dh, dw, ho, wo, groups, out):
    """Pixel-major im2col of ``k`` images: ``xp (k, H_p, W_p, C)`` → ``out (k H_o W_o, kh kw C)``
    with columns ordered ``(g, a, b, c_g)``. Both flat."""
    cg = c // groups
    ck = kh * kw * c
    for m in range(k):
        for i in range(ho):
            for j in range(wo):
                d = U(((m * ho + i) * wo + j) * ck)
                for g in range(groups):
                    for a in range(kh):
                        s = U(((m * hp + i * sh + a * dh) * wp + j * sw) * c + g * cg)
                        if dw == 1 and groups == 1:          # (b, c) is one contiguous run
                            run = U(kw * c)
                            for t in range(run):
                                out[d + t] = xp[s + t]
                            d += run
                        else:
                            for b in range(kw):
                                sb = s + U(b * dw * c)
                                for t in range(U(cg)):
                                    out[d + t] = xp[sb + t]
                                d += U(cg)


@kernel
def col2im_rows(gcols, k, hp, wp, c, kh, kw, sh, sw, dh, dw, ho, wo, groups, gxp):
    """Adjoint of :func:`im2col_rows`: ``gxp (k, H_p, W_p, C) += col2im(gcols)``. Both flat."""
    cg = c // groups
    ck = kh * kw * c
    for m in range(k):
        for i in range(ho):
            for j in range(wo):
                s = U(((m * ho + i) * wo + j) * ck)
                for g in range(groups):
                    for a in range(kh):
                        d = U(((m * hp + i * sh + a * dh) * wp + j * sw) * c + g * cg)
                        if dw == 1 and groups == 1:
                            run = U(kw * c)
                            for t in range(run):
                                gxp[d + t] += gcols[s + t]
                            s += run
                        else:
                            for b in range(kw):
                                db = d + U(b * dw * c)
                                for t in range(U(cg)):
                                    gxp[db + t] += gcols[s + t]
                                s += U(cg)


@kernel
def im2col_cols(xp, k, c, hp, wp, kh, kw, sh, sw, dh, dw, ho, wo, out):
    """Channel-major im2col of ``k`` images, one matrix per image: ``xp (k, C, H_p, W_p)`` →
    ``out (k, C kh kw, H_o W_o)``. Both flat."""
    ck = c * kh * kw
    p = ho * wo
    for m in range(k):
        for ch in range(c):
            for a in range(kh):
                for b in range(kw):
                    r = (ch * kh + a) * kw + b
                    for i in range(ho):
                        s = U(((m * c + ch) * hp + i * sh + a * dh) * wp + b * dw)
                        d = U((m * ck + r) * p + i * wo)
                        if sw == 1:
                            for j in range(U(wo)):
                                out[d + j] = xp[s + j]
                        else:
                            step = U(sw)
                            for j in range(U(wo)):
                                out[d + j] = xp[s + j * step]


@kernel
def col2im_cols(gcols, k, c, hp, wp, kh, kw, sh, sw, dh, dw, ho, wo, gxp):
    """Adjoint of :func:`im2col_cols`: ``gxp (k, C, H_p, W_p) += col2im(gcols)``. Both flat."""
    ck = c * kh * kw
    p = ho * wo
    for m in range(k):
        for ch in range(c):
            for a in range(kh):
                for b in range(kw):
                    r = (ch * kh + a) * kw + b
                    for i in range(ho):
                        d = U(((m * c + ch) * hp + i * sh + a * dh) * wp + b * dw)
                        s = U((m * ck + r) * p + i * wo)
                        if sw == 1:
                            for j in range(U(wo)):
                                gxp[d + j] += gcols[s + j]
                        else:
                            step = U(sw)
                            for j in range(U(wo)):
                                gxp[d + j * step] += gcols[s + j]


@kernel
def rows_to_nchw(ymat, bias, has_bias, k, o, p, y):
    """``y (k, O, P) = ymat (k P, O)`` transposed per image, plus ``bias (O,)``. Flat."""
    for m in range(k):
        for ch in range(o):
            b = bias[ch] if has_bias else ymat.dtype.type(0.0)
            d = U((m * o + ch) * p)
            s = U(m * p * o + ch)
            for t in range(U(p)):
                v = ymat[s + t * U(o)]
                y[d + t] = v + b if has_bias else v


@kernel
def nchw_to_padded_rows(x, k, c, h, w, top, left, hp, wp, xp):
    """The interior of ``xp (k, H_p, W_p, C)`` from ``x (k, C, H, W)`` (border untouched)."""
    for m in range(k):
        for ch in range(c):
            for r in range(h):
                s = U(((m * c + ch) * h + r) * w)
                d = U(((m * hp + r + top) * wp + left) * c + ch)
                for t in range(U(w)):
                    xp[d + t * U(c)] = x[s + t]


@kernel
def padded_rows_to_nchw(gxp, k, c, h, w, top, left, hp, wp, gx):
    """``gx (k, C, H, W)`` = the interior of ``gxp (k, H_p, W_p, C)``."""
    for m in range(k):
        for ch in range(c):
            for r in range(h):
                d = U(((m * c + ch) * h + r) * w)
                s = U(((m * hp + r + top) * wp + left) * c + ch)
                for t in range(U(w)):
                    gx[d + t] = gxp[s + t * U(c)]


# ---------------------------------------------------------------------- geometry
class Plan(NamedTuple):
    """Sizes of one convolution and how the compiled path lays it out."""

    n: int
    c: int
    h: int
    w: int
    o: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    top: int
    left: int
    hp: int
    wp: int
    ho: int
    wo: int
    groups: int
    rows: bool          # pixel-major layout (else channel-major)
    n_chunks: int       # the batch in this many chunks of ``chunk`` or ``chunk - 1`` images

    @property
    def pixels(self) -> int:
        return self.ho * self.wo

    @property
    def ck(self) -> int:
        """Rows of the im2col matrix: ``C kh kw`` (all groups)."""
        return self.c * self.kh * self.kw

    @property
    def chunk(self) -> int:
        """The most images in one chunk."""
        return -(-self.n // self.n_chunks)

    def images(self, i: int) -> tuple[int, int]:
        """First image and image count of chunk ``i``."""
        m0 = self.n * i // self.n_chunks
        return m0, self.n * (i + 1) // self.n_chunks - m0


def supported(x: Array, weight: Array) -> bool:
    """Whether the compiled path handles these arrays (float32/float64, one dtype)."""
    return x.dtype in (np.float32, np.float64) and weight.dtype == x.dtype


def make_plan(x_shape: tuple[int, ...], weight_shape: tuple[int, ...], win: Any,
              groups: int, itemsize: int) -> Plan:
    """The layout and chunk size for a batched input ``(N, C, H, W)`` and a window ``win``
    (:class:`nnblocks.functional.im2col.Window`)."""
    n, c, h, w = x_shape
    o = weight_shape[0]
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    top, bottom, left, right = win.pads
    ho, wo = win.out_size
    cg = c // groups
    run = kw * cg if (dw == 1 and groups == 1) else cg
    per_image = ho * wo * c * kh * kw * itemsize // 4
    fewest = -(-n // max(1, CHUNK_ELEMENTS // max(per_image, 1)))    # chunks that fit
    n_chunks = min(n, -(-fewest // CHUNK_MULTIPLE) * CHUNK_MULTIPLE)
    return Plan(n, c, h, w, o, kh, kw, sh, sw, dh, dw, top, left, h + top + bottom,
                w + left + right, ho, wo, groups, run >= ROWS_MIN_RUN, n_chunks)


def weight_matrix(weight: Array, plan: Plan) -> Array:
    """``W`` as ``(O, C_g kh kw)`` with columns in the order of the layout's im2col rows."""
    if plan.rows:
        weight = weight.transpose(0, 2, 3, 1)                     # (O, kh, kw, C_g)
    return np.ascontiguousarray(weight).reshape(plan.o, -1)


def weight_from_matrix(gw: Array, plan: Plan) -> Array:
    """Inverse of :func:`weight_matrix`: ``(O, C_g kh kw)`` → ``(O, C_g, kh, kw)``."""
    cg = plan.c // plan.groups
    if plan.rows:
        return np.ascontiguousarray(gw.reshape(plan.o, plan.kh, plan.kw, cg).transpose(0, 3, 1, 2))
    return gw.reshape(plan.o, cg, plan.kh, plan.kw)


# ---------------------------------------------------------------------- chunk steps
def padded_shape(plan: Plan, n: int) -> tuple[int, ...]:
    """Shape of ``n`` zero-padded input images in the layout's order."""
    p = plan
    return (n, p.hp, p.wp, p.c) if p.rows else (n, p.c, p.hp, p.wp)


def _pad(x: Array, plan: Plan, m0: int, k: int, xp: Array, border: bool) -> None:
    """Images ``m0 .. m0 + k - 1`` of ``x`` into ``xp`` (k padded images); the zero border is
    written too when ``border`` (else it is already zero)."""
    p = plan
    if border:
        xp.fill(0)
    if p.rows:
        nchw_to_padded_rows(x[m0:m0 + k].reshape(-1), k, p.c, p.h, p.w, p.top, p.left, p.hp,
                            p.wp, xp.reshape(-1))
    else:
        xp[:, :, p.top:p.top + p.h, p.left:p.left + p.w] = x[m0:m0 + k]


def _im2col(xp: Array, plan: Plan, k: int) -> Array:
    """The im2col matrices of ``k`` padded images ``xp`` in this thread's buffer, one per
    image: ``(k, P, C kh kw)`` pixel-major or ``(k, C kh kw, P)`` channel-major."""
    p = plan
    cols = threads.workspace("cols", p.ck * k * p.pixels, xp.dtype)
    if p.rows:
        im2col_rows(xp.reshape(-1), k, p.hp, p.wp, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw,
                    p.ho, p.wo, p.groups, cols)
        return cols.reshape(k, p.pixels, p.ck)
    im2col_cols(xp.reshape(-1), k, p.c, p.hp, p.wp, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw,
                p.ho, p.wo, cols)
    return cols.reshape(k, p.ck, p.pixels)


def _padded_chunk(x: Array, plan: Plan, m0: int, k: int) -> Array:
    """Images ``m0 .. m0 + k - 1`` padded in this thread's buffer (border written once)."""
    size = plan.chunk * plan.c * plan.hp * plan.wp
    xp = threads.workspace("xp", size, x.dtype, zero_tag=plan)
    xp = xp[:k * plan.c * plan.hp * plan.wp].reshape(padded_shape(plan, k))
    _pad(x, plan, m0, k, xp, border=False)
    return xp


def _group_slices(plan: Plan) -> list[tuple[slice, slice]]:
    """``(output channels, im2col columns/rows)`` of each group."""
    og, kg = plan.o // plan.groups, plan.ck // plan.groups
    return [(slice(g * og, (g + 1) * og), slice(g * kg, (g + 1) * kg))
            for g in range(plan.groups)]


def forward(x: Array, weight: Array, bias: Array | None, win: Any, groups: int,
            keep: bool = False) -> tuple[Array, Array | None]:
    """``y = W ⋆ x + b`` for a batched ``x (N, C, H, W)``; returns ``y (N, O, H_o, W_o)`` and,
    when ``keep``, the zero-padded input in the layout's order, for :func:`backward` (it
    recomputes im2col from it; the padded copy is ~1.6x the input, the im2col matrix ~25x).

    Pixel-major: one GEMM per chunk, ``(k P, C kh kw) @ W^T``, whose ``(k P, O)`` result is
    transposed to NCHW with the bias added (a kernel). Channel-major: one GEMM per image,
    ``W @ (C kh kw, P)``, written straight into ``y`` (already NCHW).
    """
    x = np.ascontiguousarray(x)
    p = make_plan(x.shape, weight.shape, win, groups, x.itemsize)
    wmat = weight_matrix(weight, p)                               # (O, C_g kh kw)
    y = np.empty((p.n, p.o, p.ho, p.wo), dtype=x.dtype)
    y3 = y.reshape(p.n, p.o, p.pixels)
    has_bias = bias is not None
    b = bias if has_bias else np.zeros(p.o, dtype=x.dtype)       # unused placeholder
    parts = _group_slices(p)
    padded = np.empty(padded_shape(p, p.n), dtype=x.dtype) if keep else None

    def chunk(i: int) -> None:
        m0, k = p.images(i)
        if padded is None:
            xp = _padded_chunk(x, p, m0, k)
        else:
            xp = padded[m0:m0 + k]
            _pad(x, p, m0, k, xp, border=True)
        cols = _im2col(xp, p, k)
        if p.rows:
            cols2 = cols.reshape(k * p.pixels, p.ck)
            ymat = threads.workspace("y", p.o * k * p.pixels, x.dtype)
            ymat2 = ymat.reshape(k * p.pixels, p.o)               # (k P, O)
            for og, kg in parts:
                np.matmul(cols2[:, kg], wmat[og].T, out=ymat2[:, og])
            rows_to_nchw(ymat, b, has_bias, k, p.o, p.pixels, y3[m0:m0 + k].reshape(-1))
            return
        for og, kg in parts:                                      # (k, O_g, P) per group
            np.matmul(wmat[og], cols[:, kg], out=y3[m0:m0 + k, og])
        if has_bias:
            y3[m0:m0 + k] += b.reshape(p.o, 1)

    threads.run(chunk, p.n_chunks, gemm=True)
    return y, padded


def backward(gy: Array, padded: Array | None, x_shape: tuple[int, ...], dtype: Any,
             weight: Array, win: Any, groups: int,
             needs: tuple[bool, bool, bool]) -> tuple[Array | None, Array | None, Array | None]:
    """``(g_x, g_W, g_b)`` of :func:`forward` for the inputs in ``needs`` (others None); the
    padded input that forward kept is needed only for ``g_W``.

    Per image, with ``G = g_y`` as ``(O, P)`` (NCHW needs no relayout): ``g_W = Σ G X_col``
    (one GEMM per image, summed image by image, chunk by chunk), ``g_b = Σ G 1``,
    ``g_x = col2im(W^T G)``.
    """
    dtype = np.dtype(dtype)
    p = make_plan(x_shape, weight.shape, win, groups, dtype.itemsize)
    wmat = weight_matrix(weight, p)                               # (O, C_g kh kw)
    parts = _group_slices(p)
    gy3 = np.ascontiguousarray(gy).reshape(p.n, p.o, p.pixels)    # (N, O, P)
    gx = np.empty(x_shape, dtype=dtype) if needs[0] else None
    gw_parts = np.empty((p.n_chunks, *wmat.shape), dtype=dtype) if needs[1] else None
    gb_parts = np.empty((p.n_chunks, p.o), dtype=dtype) if needs[2] else None
    ones = np.ones(p.pixels, dtype=dtype)

    def chunk(i: int) -> None:
        m0, k = p.images(i)
        g = gy3[m0:m0 + k]                                        # (k, O, P)
        if gb_parts is not None:                                  # a GEMV, then over images
            np.sum((g.reshape(k * p.o, p.pixels) @ ones).reshape(k, p.o), axis=0,
                   out=gb_parts[i])
        if gw_parts is not None:
            cols = _im2col(padded[m0:m0 + k], p, k)
            per_image = threads.workspace("gw", k * wmat.size, dtype).reshape(k, *wmat.shape)
            for og, kg in parts:
                if p.rows:                                        # (k, O_g, P) @ (k, P, K_g)
                    np.matmul(g[:, og], cols[:, :, kg], out=per_image[:, og])
                else:                                             # (k, O_g, P) @ (k, P, K_g)
                    np.matmul(g[:, og], cols[:, kg].transpose(0, 2, 1), out=per_image[:, og])
            np.sum(per_image, axis=0, out=gw_parts[i])
        if gx is not None:
            _input_grad(g, wmat, gx, p, parts, m0, k)

    threads.run(chunk, p.n_chunks, gemm=True)
    gw = None if gw_parts is None else weight_from_matrix(gw_parts.sum(axis=0), p)
    gb = None if gb_parts is None else gb_parts.sum(axis=0)
    return gx, gw, gb


def _input_grad(g: Array, wmat: Array, gx: Array, p: Plan, parts: list, m0: int,
                k: int) -> None:
    """``g_x`` of images ``m0 .. m0 + k - 1``: ``col2im(W^T G)`` into ``gx[m0:m0 + k]``."""
    dtype = gx.dtype
    gcols = threads.workspace("cols", p.ck * k * p.pixels, dtype)
    if p.rows:
        gcols3 = gcols.reshape(k, p.pixels, p.ck)                 # (k, P, C kh kw)
        for og, kg in parts:
            np.matmul(g[:, og].transpose(0, 2, 1), wmat[og], out=gcols3[:, :, kg])
        gxp = threads.workspace("gxp", k * p.hp * p.wp * p.c, dtype)
        gxp.fill(0)
        col2im_rows(gcols, k, p.hp, p.wp, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.ho, p.wo,
                    p.groups, gxp)
        padded_rows_to_nchw(gxp, k, p.c, p.h, p.w, p.top, p.left, p.hp, p.wp,
                            gx[m0:m0 + k].reshape(-1))
        return
    gcols3 = gcols.reshape(k, p.ck, p.pixels)                     # (k, C kh kw, P)
    for og, kg in parts:
        np.matmul(wmat[og].T, g[:, og], out=gcols3[:, kg])
    gxp = threads.workspace("gxp", k * p.c * p.hp * p.wp, dtype).reshape(k, p.c, p.hp, p.wp)
    gxp.fill(0)
    col2im_cols(gcols, k, p.c, p.hp, p.wp, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.ho, p.wo,
                gxp.reshape(-1))
    np.copyto(gx[m0:m0 + k], gxp[:, :, p.top:p.top + p.h, p.left:p.left + p.w])
