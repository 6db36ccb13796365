"""Small synthetic tasks, generated from an explicit ``rng``: classification in the plane,
1-D regression, and sequence tasks that need memory (parity, adding problem, copy).

Every function returns ``(x, y)`` NumPy arrays: float32 inputs; int64 class labels or float32
regression targets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnblocks._random import get_rng


def xor(
    n: int = 400, noise: float = 0.15, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points near the four corners (±1, ±1); the label is 1 where the signs differ (XOR).

    No line separates the classes, so a network needs a hidden layer.

    >>> x, y = xor(8, noise=0.0, rng=np.random.default_rng(0))
    >>> x.shape, y.dtype, bool((y == (np.sign(x[:, 0]) != np.sign(x[:, 1]))).all())
    ((8, 2), dtype('int64'), True)
    """
    rng = get_rng(rng)
    corners = rng.integers(0, 2, size=(n, 2))                          # (N, 2) bits
    x = (2.0 * corners - 1.0) + noise * rng.standard_normal((n, 2))    # (N, 2)
    y = (corners[:, 0] != corners[:, 1]).astype(np.int64)              # (N,)
    return x.astype(np.float32), y


def two_spirals(
    n: int = 400, noise: float = 0.1, turns: float = 1.5, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane, ``n // 2`` points each (class 0 and class 1).

    Spiral k at angle θ ∈ [0, 2π·turns] is ``r(θ)·(cos(θ + kπ), sin(θ + kπ))`` with
    ``r = θ / (2π·turns)``, plus Gaussian noise of std ``noise``.

    >>> x, y = two_spirals(10, rng=np.random.default_rng(0))
    >>> x.shape, np.bincount(y).tolist()
    ((10, 2), [5, 5])
    """
    rng = get_rng(rng)
    half = n // 2
    xs, ys = [], []
    for k in range(2):
        count = half if k == 0 else n - half
        theta = np.sqrt(rng.random(count)) * 2.0 * np.pi * turns       # (n_k,) denser outside
        r = theta / (2.0 * np.pi * turns)
        points = np.stack([r * np.cos(theta + k * np.pi), r * np.sin(theta + k * np.pi)], 1)
        xs.append(points + noise * rng.standard_normal(points.shape))  # (n_k, 2)
        ys.append(np.full(count, k, dtype=np.int64))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def regression_1d(
    n: int = 200,
    fn: Callable[[np.ndarray], np.ndarray] | None = None,
    noise: float = 0.1,
    low: float = -1.0,
    high: float = 1.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of a function of one variable: ``y = fn(x) + noise·ε``, x uniform.

    The default ``fn`` is ``sin(πx)``. Shapes ``(n, 1)`` for both x and y.

    >>> x, y = regression_1d(5, noise=0.0, rng=np.random.default_rng(0))
    >>> bool(np.allclose(y, np.sin(np.pi * x), atol=1e-6))
    True
    """
    rng = get_rng(rng)
    fn = fn if fn is not None else (lambda t: np.sin(np.pi * t))
    x = rng.uniform(low, high, size=(n, 1))                            # (N, 1)
    y = fn(x) + noise * rng.standard_normal((n, 1))                    # (N, 1)
    return x.astype(np.float32), np.asarray(y).astype(np.float32)


def parity(
    n: int = 1000, length: int = 8, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random bit strings ``(N, T, 1)``; the label is 1 when the number of ones is odd.

    Every bit matters, so the answer needs a memory of the whole sequence.

    >>> x, y = parity(3, 4, rng=np.random.default_rng(0))
    >>> x.shape, bool((x.sum(axis=(1, 2)) % 2 == y).all())
    ((3, 4, 1), True)
    """
    rng = get_rng(rng)
    bits = rng.integers(0, 2, size=(n, length))                        # (N, T)
    return bits[..., None].astype(np.float32), (bits.sum(axis=1) % 2).astype(np.int64)


def adding_problem(
    n: int = 1000, length: int = 20, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): input ``(N, T, 2)`` of a random
    value in [0, 1) and a marker, exactly two markers per sequence; the target ``(N, 1)`` is the
    sum of the two marked values (one marker in each half of the sequence).

    >>> x, y = adding_problem(4, 10, rng=np.random.default_rng(0))
    >>> x.shape, bool(np.allclose((x[..., 0] * x[..., 1]).sum(1, keepdims=True), y))
    ((4, 10, 2), True)
    """
    if length < 2:
        raise ValueError(f"adding_problem: length must be at least 2, got {length}")
    rng = get_rng(rng)
    values = rng.random((n, length))                                   # (N, T)
    markers = np.zeros((n, length))
    half = length // 2
    rows = np.arange(n)
    markers[rows, rng.integers(0, half, n)] = 1.0
    markers[rows, rng.integers(half, length, n)] = 1.0
    x = np.stack([values, markers], axis=-1)                           # (N, T, 2)
    y = (values * markers).sum(axis=1, keepdims=True)                  # (N, 1)
    return x.astype(np.float32), y.astype(np.float32)


def copy_task(
    n: int = 1000,
    length: int = 5,
    delay: int = 5,
    num_symbols: int = 8,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The copy-memory task: remember ``length`` symbols through ``delay`` blank steps.

    Tokens: 0 blank, 1..K symbols, K+1 "go" marker. Input ``(N, 2·length + delay + 1)``:
    the symbols, ``delay`` blanks, the marker, ``length`` blanks. Target, same shape: blanks
    everywhere except the last ``length`` steps, which repeat the symbols. int64 token ids.

    >>> x, y = copy_task(2, length=3, delay=2, num_symbols=4, rng=np.random.default_rng(0))
    >>> x.shape, bool((y[:, -3:] == x[:, :3]).all()), int(x[0, 5])
    ((2, 9), True, 5)
    """
    rng = get_rng(rng)
    total = 2 * length + delay + 1
    symbols = rng.integers(1, num_symbols + 1, size=(n, length))       # (N, L)
    x = np.zeros((n, total), dtype=np.int64)
    y = np.zeros((n, total), dtype=np.int64)
    x[:, :length] = symbols
    x[:, length + delay] = num_symbols + 1
    y[:, -length:] = symbols
    return x, y
