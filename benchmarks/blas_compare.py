"""NumPy's OpenBLAS against Intel MKL (the ``mkl`` wheel, called through ``cblas_sgemm``) on
the float32 GEMM shapes that dominate the benchmark cases: is a different BLAS worth an extra?

    pip install mkl                     # ~230 MB; not a dependency of nnblocks
    OPENBLAS_NUM_THREADS=1 python benchmarks/blas_compare.py --threads 1

Each shape: best of 7 repeats of 20 calls, both libraries in this process, results checked
equal. Shapes (m × k × n): LSTM gates forward/backward (batch 64, hidden 256), the character
LM's projection (2048 predictions, vocabulary 96, hidden 512) and its LSTM (batch 32, hidden
512), an MLP layer, a 3×3 convolution's im2col GEMM, a classifier head.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
from pathlib import Path

import numpy as np

SHAPES = [
    (64, 256, 1024), (64, 1024, 256), (256, 64, 1024), (2048, 512, 96), (2048, 96, 512),
    (32, 512, 2048), (32, 2048, 512), (512, 32, 2048), (128, 784, 256), (65536, 27, 32),
    (64, 4096, 10),
]
ROW_MAJOR, NO_TRANS = 101, 111


def load_mkl(threads: int) -> ctypes.CDLL:
    for folder in (Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"):
        path = folder / "libmkl_rt.so.3"
        if path.exists():
            lib = ctypes.CDLL(str(path))
            lib.MKL_Set_Num_Threads(ctypes.c_int(threads))
            lib.cblas_sgemm.restype = None
            return lib
    sys.exit("blas_compare: libmkl_rt.so.3 not found; pip install mkl first")


def best_us(fn) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(20):
            fn()
        times.append((time.perf_counter() - start) / 20)
    return min(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="MKL's thread count (set "
                        "OPENBLAS_NUM_THREADS to the same before starting)")
    args = parser.parse_args()
    mkl = load_mkl(args.threads)
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, MKL "
          f"threads {args.threads}, load average {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k)).astype(np.float32)            # (m, k)
        b = rng.standard_normal((k, n)).astype(np.float32)            # (k, n)
        out = np.empty((m, n), np.float32)                            # (m, n)

        def with_mkl(a=a, b=b, out=out, m=m, k=k, n=n) -> None:
            mkl.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, ctypes.c_float(1.0),
                            a.ctypes.data_as(ctypes.c_void_p), k,
                            b.ctypes.data_as(ctypes.c_void_p), n, ctypes.c_float(0.0),
                            out.ctypes.data_as(ctypes.c_void_p), n)

        with_mkl()
        np.testing.assert_allclose(out, a @ b, rtol=1e-3, atol=1e-3)
        t_open = best_us(lambda a=a, b=b, out=out: np.matmul(a, b, out=out))
        t_mkl = best_us(with_mkl)
        flops = 2 * m * k * n / 1e3
        print(f"{m:>6} x {k:>4} x {n:>4}: OpenBLAS {t_open:8.1f} us ({flops / t_open:4.0f} "
              f"GFLOP/s)  MKL {t_mkl:8.1f} us ({flops / t_mkl:4.0f})  MKL/OpenBLAS "
              f"{t_mkl / t_open:.2f}")


if __name__ == "__main__":
    main()
