"""Per-operation overhead: a loop of tiny ``(a * b + c).sum()`` steps with backward.

The tensors are small (8 x 8), so the time is almost all Python overhead of the Tensor
interface, ``Block.apply`` and the backward pass, not arithmetic. Run it on a quiet machine::

    python -m benchmarks.tiny_ops            # best of 5 repeats of 10,000 steps
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nnblocks as nb


def step_loop(steps: int) -> float:
    """Seconds for ``steps`` forward + backward steps on 8 x 8 float32 tensors."""
    rng = np.random.default_rng(0)
    a = nb.tensor(rng.standard_normal((8, 8)), dtype=nb.float32, requires_grad=True)
    b = nb.tensor(rng.standard_normal((8, 8)), dtype=nb.float32, requires_grad=True)
    c = nb.tensor(rng.standard_normal((8, 8)), dtype=nb.float32)
    start = time.perf_counter()
    for _ in range(steps):
        loss = (a * b + c).sum()
        loss.backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = [step_loop(args.steps) for _ in range(args.repeats)]
    best = min(times)
    print(f"tiny-op loop: {args.steps} steps, best of {args.repeats}: {best:.3f} s "
          f"({best / args.steps * 1e6:.1f} µs/step; all: "
          + ", ".join(f"{t:.3f}" for t in times) + ")")


if __name__ == "__main__":
    main()
