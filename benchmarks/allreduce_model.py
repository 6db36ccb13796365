r"""An α–β cost model of ring all-reduce, and the data-parallel scaling it predicts.

    python benchmarks/allreduce_model.py RESULTS.json [--alpha-us 20] [--backward-share 0.67]

``RESULTS.json`` is written by ``benchmarks/distributed.py --json``: the 1-process step time and
the gradient size of each case, the 2-process measurement, and α, β fitted to the loopback
all-reduce sweep.

**Ring all-reduce** (Patarasuk & Yuan 2009; Thakur, Rabenseifner & Gropp 2005) of n bytes over
P processes: a reduce-scatter then an all-gather, each of P - 1 steps in which every process
sends and receives n / P bytes to and from its ring neighbours:

.. math::
    T_{\text{ring}}(n, P) = 2 (P - 1)\,\alpha + 2 \frac{P - 1}{P}\, n\, \beta

α is the latency of one message, β the time per byte (1 / bandwidth; the reduction's
arithmetic folds into β). The bandwidth term tends to 2 n β: it hardly grows with P, which is
why ring all-reduce scales; the latency term grows linearly with P.

**A step of DistributedDataParallel** with gradient buckets b_1..b_k (reverse layer order):
compute T_c (the 1-process step), of which the backward pass is a share s (default 2/3: a
backward costs about twice a forward). The all-reduce of every bucket but the last can run
during the backward; the last starts when the backward ends. So

.. math::
    T_{\text{step}} = T_c + \max\big(T_{\text{ring}}(b_k, P),\;
                     \textstyle\sum_i T_{\text{ring}}(b_i, P) - s\,T_c\big),
    \qquad \text{efficiency} = T_c / T_{\text{step}}

(weak scaling: each process keeps its batch). With one bucket (both benchmark models are under
25 MB) nothing overlaps and T_step = T_c + T_ring(n, P).

Networks: β = 8 / (G · 10⁹) s/byte for G Gb/s; α = ``--alpha-us`` (default 20 µs, MPI over TCP
on Ethernet; RDMA fabrics reach 1–3 µs). Not modelled: contention of several processes per
machine for memory bandwidth, stragglers, the network's topology (a ring across racks sees
the slowest link), and the fact that a multi-machine run uses both α–β of shared memory
within a machine and of the network between them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROCESSES = (2, 4, 8, 16, 32, 64, 128, 256)
NETWORKS_GBPS = (10, 25, 100)


def ring_seconds(nbytes: float, world: int, alpha: float, beta: float) -> float:
    """T_ring(n, P) = 2(P-1)·α + 2(P-1)/P·n·β."""
    if world == 1:
        return 0.0
    return 2 * (world - 1) * alpha + 2 * (world - 1) / world * nbytes * beta


def efficiency(compute: float, buckets: list[float], world: int, alpha: float, beta: float,
               backward_share: float) -> float:
    """T_c / T_step for gradient ``buckets`` (bytes, last one last), per the module docstring."""
    times = [ring_seconds(b, world, alpha, beta) for b in buckets]
    exposed = max(times[-1], sum(times) - backward_share * compute)
    return compute / (compute + exposed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", help="JSON of benchmarks/distributed.py --json")
    parser.add_argument("--alpha-us", type=float, default=20.0,
                        help="network latency per message in µs (default 20)")
    parser.add_argument("--backward-share", type=float, default=2 / 3)
    args = parser.parse_args(argv)
    data = json.loads(Path(args.results).read_text())
    alpha_here, beta_here = data["alpha"], data["beta"]
    print(f"loopback fit: alpha {alpha_here * 1e6:.1f} µs, beta {beta_here * 1e9:.3f} ns/B")
    for key, by_world in data["cases"].items():
        one = by_world["1"] if "1" in by_world else by_world[1]
        compute = one["step_seconds"]
        buckets = [one["gradient_bytes"]]        # under 25 MB: one bucket
        print(f"\n{key}: T_c = {compute * 1e3:.1f} ms, gradients {one['gradient_bytes'] / 1e6:.2f}"
              f" MB in {one['buckets']} bucket(s)")
        two = by_world.get("2") or by_world.get(2)
        if two is not None:
            predicted = efficiency(compute, buckets, 2, alpha_here, beta_here,
                                   args.backward_share)
            print(f"  P=2 here: predicted efficiency {predicted:.2f} (from the sweep's α, β), "
                  f"measured {two['efficiency']:.2f}")
        header = "  P    " + "".join(f"{g:>9} Gb/s" for g in NETWORKS_GBPS)
        print(header)
        for world in PROCESSES:
            cells = []
            for gbps in NETWORKS_GBPS:
                e = efficiency(compute, buckets, world, args.alpha_us * 1e-6, 8 / (gbps * 1e9),
                               args.backward_share)
                cells.append(f"{e:14.2f}")
            print(f"  {world:<4} " + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
