"""Classic textbook networks, and random networks for tests and benchmarks.

* :func:`sprinkler` -- Cloudy, Sprinkler, Rain, WetGrass (Russell & Norvig, *AIMA*, Fig. 14.12;
  the numbers of K. Murphy's Bayes Net Toolbox tutorial), the standard explaining-away example.
* :func:`student` -- Difficulty, Intelligence, Grade, SAT, Letter (Koller & Friedman,
  *Probabilistic Graphical Models*, 2009, Fig. 3.4).
* :func:`asia` -- the chest-clinic network (Lauritzen & Spiegelhalter, 1988), as distributed in
  the bnlearn repository.
"""

from __future__ import annotations

import numpy as np

from nnblocks._random import get_rng
from nnblocks.bayes.network import BayesNet

TF = ["true", "false"]


def sprinkler() -> BayesNet:
    """Cloudy -> {Sprinkler, Rain} -> WetGrass, all with states ``("true", "false")``.

    >>> net = sprinkler()
    >>> round(net.query("Rain", {"WetGrass": "true"}).to_dict()["true"], 4)
    0.7079
    """
    net = BayesNet("sprinkler")
    net.add_node("Cloudy", TF, cpt={"true": 0.5, "false": 0.5})
    net.add_node("Sprinkler", TF, parents=["Cloudy"], cpt={"true": [0.1, 0.9], "false": [0.5, 0.5]})
    net.add_node("Rain", TF, parents=["Cloudy"], cpt={"true": [0.8, 0.2], "false": [0.2, 0.8]})
    net.add_node(
        "WetGrass",
        TF,
        parents=["Sprinkler", "Rain"],
        cpt={
            ("true", "true"): [0.99, 0.01],
            ("true", "false"): [0.9, 0.1],
            ("false", "true"): [0.9, 0.1],
            ("false", "false"): [0.0, 1.0],
        },
    )
    return net


def student() -> BayesNet:
    """Koller & Friedman's student network (Fig. 3.4).

    >>> round(student().query("Letter").to_dict()["l1"], 4)
    0.5023
    """
    net = BayesNet("student")
    net.add_node("Difficulty", ["d0", "d1"], cpt=[0.6, 0.4])
    net.add_node("Intelligence", ["i0", "i1"], cpt=[0.7, 0.3])
    net.add_node(
        "Grade",
        ["g1", "g2", "g3"],
        parents=["Intelligence", "Difficulty"],
        cpt={
            "i0": {"d0": [0.3, 0.4, 0.3], "d1": [0.05, 0.25, 0.7]},
            "i1": {"d0": [0.9, 0.08, 0.02], "d1": [0.5, 0.3, 0.2]},
        },
    )
    net.add_node(
        "SAT", ["s0", "s1"], parents=["Intelligence"], cpt={"i0": [0.95, 0.05], "i1": [0.2, 0.8]}
    )
    net.add_node(
        "Letter",
        ["l0", "l1"],
        parents=["Grade"],
        cpt={"g1": [0.1, 0.9], "g2": [0.4, 0.6], "g3": [0.99, 0.01]},
    )
    return net


def asia() -> BayesNet:
    """The chest-clinic ("asia") network with bnlearn's node names and numbers."""
    yn = ["yes", "no"]
    net = BayesNet("asia")
    net.add_node("asia", yn, cpt=[0.01, 0.99])
    net.add_node("tub", yn, parents=["asia"], cpt=[[0.05, 0.95], [0.01, 0.99]])
    net.add_node("smoke", yn, cpt=[0.5, 0.5])
    net.add_node("lung", yn, parents=["smoke"], cpt=[[0.1, 0.9], [0.01, 0.99]])
    net.add_node("bronc", yn, parents=["smoke"], cpt=[[0.6, 0.4], [0.3, 0.7]])
    either = np.array([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])  # (lung, tub, .)
    net.add_node("either", yn, parents=["lung", "tub"], cpt=either)
    net.add_node("xray", yn, parents=["either"], cpt=[[0.98, 0.02], [0.05, 0.95]])
    dysp = np.array([[[0.9, 0.1], [0.8, 0.2]], [[0.7, 0.3], [0.1, 0.9]]])  # (bronc, either, .)
    net.add_node("dysp", yn, parents=["bronc", "either"], cpt=dysp)
    return net


def random_network(
    n_nodes: int,
    *,
    max_parents: int = 3,
    max_states: int = 3,
    alpha: float = 1.0,
    window: int | None = None,
    rng: np.random.Generator | None = None,
) -> BayesNet:
    """A random DAG ``X0 .. X{n-1}`` (edges only from lower to higher index) with random CPTs.

    Each node draws its number of states uniformly from ``2..max_states``, its parents as a
    random subset (of size ``0..max_parents``) of the earlier nodes (of the ``window`` nodes
    just before it when ``window`` is given: a long network of bounded treewidth), and every
    CPT row from a symmetric Dirichlet(``alpha``). States are named ``"s0", "s1", ...``.
    """
    if window is not None and window < 1:
        raise ValueError(f"random_network: window must be >= 1 or None, got {window}")
    if n_nodes < 1 or max_states < 2 or max_parents < 0 or not alpha > 0:
        raise ValueError(
            f"random_network: need n_nodes >= 1, max_states >= 2, max_parents >= 0, alpha > 0; "
            f"got {n_nodes}, {max_states}, {max_parents}, {alpha}"
        )
    generator = get_rng(rng)
    net = BayesNet(f"random{n_nodes}")
    for i in range(n_nodes):
        card = int(generator.integers(2, max_states + 1))
        first = 0 if window is None else max(0, i - window)
        k = int(generator.integers(0, min(i - first, max_parents) + 1))
        chosen = (
            sorted((first + generator.choice(i - first, size=k, replace=False)).tolist())
            if k
            else []
        )
        parents = [f"X{j}" for j in chosen]
        shape = (*(net.cardinality(p) for p in parents), card)
        rows = generator.dirichlet(np.full(card, alpha), size=shape[:-1]).reshape(shape)
        rows = rows / rows.sum(axis=-1, keepdims=True)
        net.add_node(f"X{i}", [f"s{s}" for s in range(card)], parents=parents, cpt=rows)
    return net
