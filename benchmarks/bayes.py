"""Exact inference speed: nnblocks.bayes against pgmpy, per bnlearn network and synthetic size.

    python benchmarks/bayes.py                          # every network pgmpy ships + synthetic
    python benchmarks/bayes.py --networks alarm,andes --queries 10 --repeats 3
    python benchmarks/bayes.py --marginals --networks alarm,hepar2   # also all-marginals vs BP
    python benchmarks/bayes.py --synthetic 1000,5000 --networks none --json /tmp/bayes.json

What is timed (both frameworks in the same process and run, repeats alternating A B B A ...):

* ``query``: a fixed batch of random posterior queries per network (seeded): one query node,
  0-5 evidence nodes whose states are read off a forward sample (so the evidence is possible).
  nnblocks: ``net.query(v, evidence)``; pgmpy: ``VariableElimination(model).query([v],
  evidence)`` with the ``VariableElimination`` object built once. Reported: the median over
  ``--repeats`` of the batch time, divided by the batch size (ms per query).
* ``marginals`` (``--marginals``): every non-evidence node's posterior under one evidence set.
  nnblocks: ``net.marginals(evidence)`` (one calibrated junction tree); pgmpy:
  ``BeliefPropagation(model).query(all, evidence, joint=False)``, and one
  ``VariableElimination.query([v], evidence)`` per node (pgmpy's VE with ``joint=False`` builds
  the joint of all the variables first and runs out of memory on alarm). A pgmpy batch that does not
  finish within ``--limit`` seconds (untimed first run, cut by SIGALRM) is shown as ``> limit``.

Both frameworks get the same CPTs: the BIF file is read by nnblocks (rows renormalized, as some
files round them) and handed to pgmpy as ``TabularCPD`` objects, which skips pgmpy's slow BIF
reader (``--load`` times the two readers separately). Untimed warm-up: one batch each (it
builds nnblocks' cached integer form of the network). The networks are located through
``pgmpy.__file__`` (``utils/example_models/*.bif.gz``); synthetic networks are
:func:`long_network` (a chain backbone plus up to 2 more parents within the 6 nodes before:
every node is an ancestor of the last, treewidth bounded).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import signal
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from nnblocks.bayes import BayesNet, forward_sample, parse_bif


def pgmpy_modules():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgmpy
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import BeliefPropagation, VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork
    return pgmpy, TabularCPD, VariableElimination, BeliefPropagation, DiscreteBayesianNetwork


def bundled_paths() -> dict[str, pathlib.Path]:
    pgmpy = pgmpy_modules()[0]
    folder = pathlib.Path(pgmpy.__file__).parent / "utils" / "example_models"
    return {p.name[: -len(".bif.gz")]: p for p in sorted(folder.glob("*.bif.gz"))}


def to_pgmpy(net: BayesNet):
    """Our CPT layout (parents..., child) -> pgmpy's TabularCPD (child, parent configurations)."""
    _, TabularCPD, _, _, DiscreteBayesianNetwork = pgmpy_modules()
    model = DiscreteBayesianNetwork()
    model.add_nodes_from(net.nodes)
    model.add_edges_from(net.edges)
    for node in net.nodes:
        cpt = net.cpt(node)
        values = np.moveaxis(cpt.values, -1, 0).reshape(len(cpt.states), -1)
        names = {p: list(net.states(p)) for p in cpt.parents}
        names[node] = list(cpt.states)
        model.add_cpds(
            TabularCPD(
                node,
                len(cpt.states),
                values,
                evidence=list(cpt.parents) or None,
                evidence_card=[net.cardinality(p) for p in cpt.parents] or None,
                state_names=names,
            )
        )
    return model


def long_network(n: int, rng: np.random.Generator, window: int = 6) -> BayesNet:
    """A long network: node i has parent i-1 and up to 2 more among the ``window`` before it
    (so every node is an ancestor of the last: a query deep in it keeps thousands of nodes),
    2-3 states, Dirichlet(1) CPT rows."""
    net = BayesNet(f"long{n}")
    for i in range(n):
        parents = []
        if i > 0:
            extra = rng.choice(max(0, min(i - 1, window)), size=min(int(rng.integers(0, 3)),
                               max(0, min(i - 1, window))), replace=False)  # fmt: skip
            parents = sorted({i - 1, *(i - 2 - extra).tolist()})
        card = int(rng.integers(2, 4))
        names = [f"X{j}" for j in parents]
        shape = (*(net.cardinality(p) for p in names), card)
        rows = rng.dirichlet(np.ones(card), size=shape[:-1]).reshape(shape)
        net.add_node(f"X{i}", [f"s{k}" for k in range(card)], parents=names,
                     cpt=rows / rows.sum(axis=-1, keepdims=True))  # fmt: skip
    return net


def random_queries(net: BayesNet, count: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    rng = np.random.default_rng(seed)
    samples = forward_sample(net, count, rng=rng)
    out = []
    for row in samples:
        size = 1 + int(rng.integers(0, min(6, len(net))))
        chosen = rng.choice(len(net), size=size, replace=False)
        names = [net.nodes[j] for j in chosen]
        evidence = {v: net.states(v)[row[j]] for v, j in zip(names[1:], chosen[1:], strict=True)}
        out.append((names[0], evidence))
    return out


def alternate(runs: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each callable over ``repeats``, in the order A B B A A B ..."""
    times: dict[str, list[float]] = {k: [] for k in runs}
    keys = list(runs)
    for r in range(repeats):
        for key in keys if r % 2 == 0 else keys[::-1]:
            start = time.perf_counter()
            runs[key]()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_queries(net: BayesNet, model, queries, repeats: int) -> dict[str, float]:
    VariableElimination = pgmpy_modules()[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = VariableElimination(model)

    def ours():
        for variable, evidence in queries:
            net.query(variable, evidence)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for variable, evidence in queries:
                engine.query([variable], evidence=evidence, show_progress=False)

    ours()  # warm-up: compiles nnblocks' integer form once
    theirs()
    medians = alternate({"nnblocks": ours, "pgmpy": theirs}, repeats)
    return {k: 1000 * v / len(queries) for k, v in medians.items()}


class _TimeLimitError(Exception):
    pass


def _limited(call, seconds: float):
    """Run ``call``; raise :class:`_TimeLimitError` after ``seconds`` (SIGALRM, main thread)."""

    def stop(signum, frame):
        raise _TimeLimitError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bench_marginals(net: BayesNet, model, evidences, repeats: int, limit: float) -> dict:
    """ms per evidence set; a pgmpy method whose first (untimed) run exceeds ``limit`` seconds
    is reported as ``None`` (not finished), one that raises by the exception's name."""
    _, _, VariableElimination, BeliefPropagation, _ = pgmpy_modules()

    def ours():
        for evidence in evidences:
            net.marginals(evidence)

    engine = VariableElimination(model)

    def pgmpy_ve():  # one query per node: query(all, joint=False) builds the full joint first
        for evidence in evidences:
            for v in net.nodes:
                if v not in evidence:
                    engine.query([v], evidence=evidence, show_progress=False)

    def pgmpy_bp():
        for evidence in evidences:
            hidden = [v for v in net.nodes if v not in evidence]
            BeliefPropagation(model).query(hidden, evidence=evidence, joint=False,
                                           show_progress=False)  # fmt: skip

    runs = {"nnblocks": ours}
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours()
        for key, call in (("pgmpy_ve", pgmpy_ve), ("pgmpy_bp", pgmpy_bp)):
            try:
                _limited(call, limit)
                runs[key] = call
            except _TimeLimitError:
                out[key] = None
            except Exception as exc:  # pgmpy's own failures are reported, not fatal
                out[key] = f"{type(exc).__name__}"
        medians = alternate(runs, repeats)
    out.update({k: 1000 * v / len(evidences) for k, v in medians.items()})
    return out


def _cell(value, limit: float) -> str:
    if value is None:
        return f"> {limit * 1000:,.0f}"
    return value if isinstance(value, str) else f"{value:.1f}"


def bench_load(text: str, repeats: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.readwrite import BIFReader

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            BIFReader(string=text).get_model()

    runs = {"nnblocks": lambda: parse_bif(text, renormalize=True), "pgmpy": theirs}
    return {k: 1000 * v for k, v in alternate(runs, repeats).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", default="all", help="comma list, 'all' or 'none'")
    parser.add_argument("--synthetic", default="1000,2000,3000,5000", help="sizes, or 'none'")
    parser.add_argument("--queries", type=int, default=20, help="queries per batch")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per framework")
    parser.add_argument("--marginals", action="store_true", help="also all-marginals vs BP")
    parser.add_argument("--marginal-sets", type=int, default=2, help="evidence sets for it")
    parser.add_argument(
        "--limit",
        type=float,
        default=20.0,
        help="seconds a pgmpy all-marginals batch may take before it is cut",
    )
    parser.add_argument("--load", action="store_true", help="also time the BIF readers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results here as well")
    args = parser.parse_args(argv)

    paths = bundled_paths()
    if args.networks == "all":
        names = list(paths)
    elif args.networks == "none":
        names = []
    else:
        names = args.networks.split(",")
    cases: list[tuple[str, object]] = [(name, paths[name]) for name in names]
    if args.synthetic != "none":
        cases += [(f"synthetic{n}", int(n)) for n in args.synthetic.split(",")]

    header = "| network | nodes | nnblocks ms/query | pgmpy VE ms/query | ratio |"
    if args.marginals:
        header += " nnblocks marginals ms | pgmpy VE ms | pgmpy BP ms | ratio to best pgmpy |"
    if args.load:
        header += " nnblocks load ms | pgmpy load ms |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    results = []
    for name, source in cases:
        if isinstance(source, int):
            net = long_network(source, np.random.default_rng(source))
            text = None
        else:
            text = gzip.decompress(source.read_bytes()).decode("utf-8")
            net = parse_bif(text, renormalize=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = to_pgmpy(net)
        queries = random_queries(net, args.queries, args.seed)
        timed = bench_queries(net, model, queries, args.repeats)
        row = {"network": name, "nodes": len(net), "query": timed}
        ours, theirs = timed["nnblocks"], timed["pgmpy"]
        line = f"| {name} | {len(net)} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} |"
        if args.marginals:
            evidences = [e for _, e in queries[: args.marginal_sets]]
            try:
                m = bench_marginals(net, model, evidences, max(1, args.repeats // 2), args.limit)
                row["marginals"] = m
                shown = [_cell(m[k], args.limit) for k in ("nnblocks", "pgmpy_ve", "pgmpy_bp")]
                finished = [m[k] for k in ("pgmpy_ve", "pgmpy_bp") if isinstance(m[k], float)]
                ratio = f"{m['nnblocks'] / min(finished):.2f}" if finished else "< 0.01"
                line += f" {' | '.join(shown)} | {ratio} |"
            except Exception as exc:  # e.g. a clique above the size guard
                row["marginals"] = {"error": f"{type(exc).__name__}: {exc}"[:120]}
                line += f" {type(exc).__name__} | | | |"
        if args.load and text is not None:
            row["load"] = bench_load(text, max(1, args.repeats // 2))
            line += f" {row['load']['nnblocks']:.0f} | {row['load']['pgmpy']:.0f} |"
        print(line, flush=True)
        results.append(row)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
