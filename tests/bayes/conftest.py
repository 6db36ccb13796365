"""Shared references for the nnblocks.bayes tests: brute-force enumeration of the joint.

The reference builds the full joint table by broadcasting every CPT into the n-dimensional array
of all assignments and multiplying -- no Factor, einsum or elimination involved -- so inference
results can be compared against it independently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from nnblocks.bayes import BayesNet


class BruteForce:
    """Exact answers by enumerating the joint distribution (small networks only)."""

    @staticmethod
    def joint(net: BayesNet) -> np.ndarray:
        """P(x_1..x_n), shape (card(X_1), ..., card(X_n)) with axes in ``net.nodes`` order."""
        nodes = net.nodes
        joint = np.ones([net.cardinality(v) for v in nodes])
        for node in nodes:
            cpt = net.cpt(node)
            scope = [*cpt.parents, node]
            positions = [nodes.index(v) for v in scope]
            table = np.transpose(cpt.values, np.argsort(positions))  # axes in node order
            shape = [1] * len(nodes)
            for v in scope:
                shape[nodes.index(v)] = net.cardinality(v)
            joint = joint * table.reshape(shape)
        return joint

    @staticmethod
    def restrict(net: BayesNet, joint: np.ndarray, evidence: Mapping[str, int]) -> np.ndarray:
        """The joint with evidence axes sliced to length 1 (kept, so axes still match nodes)."""
        index: list = [slice(None)] * joint.ndim
        for node, state in evidence.items():
            i = net.state_index(node, state)
            index[net.nodes.index(node)] = slice(i, i + 1)
        return joint[tuple(index)]

    @classmethod
    def posterior(
        cls,
        net: BayesNet,
        joint: np.ndarray,
        variables: Sequence[str],
        evidence: Mapping[str, int],
    ) -> np.ndarray:
        """P(variables | evidence) with axes in the order of ``variables``."""
        sub = cls.restrict(net, joint, evidence)
        keep = [net.nodes.index(v) for v in variables]
        others = tuple(i for i in range(joint.ndim) if i not in keep)
        marginal = sub.sum(axis=others)  # axes: kept positions in increasing order
        marginal = np.transpose(marginal, np.argsort(np.argsort(keep)))
        return marginal / marginal.sum()

    @classmethod
    def evidence_probability(
        cls, net: BayesNet, joint: np.ndarray, evidence: Mapping[str, int]
    ) -> float:
        return float(cls.restrict(net, joint, evidence).sum())


@pytest.fixture(scope="session")
def brute() -> type[BruteForce]:
    return BruteForce
