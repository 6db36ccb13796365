r"""Discrete Bayesian networks: :math:`P(x_1, \dots, x_n) = \prod_i P(x_i \mid \mathrm{pa}(x_i))`.

Modules:
    network      :class:`BayesNet` -- nodes with named states, edges (kept acyclic), CPTs,
                 joint probability and log-likelihood.
    cpt          :class:`CPT` -- validated conditional probability tables.
    factor       :class:`Factor` -- product, marginalize, maximize, reduce, normalize (einsum).
    inference    exact posteriors and MAP by variable elimination (greedy orders planned with
                 a priority queue; scaled tables, so no underflow).
    engine       the integer-id core: pruning, scaled contraction, elimination.
    junction_tree  a calibrated clique tree: every marginal in two passes.
    sampling     ancestral, rejection and likelihood-weighting samplers with an explicit rng.
    gibbs        Gibbs sampling (burn-in, thinning, parallel chains) for approximate posteriors.
    learning     CPTs from complete data: maximum likelihood and Dirichlet pseudo-counts.
    em           CPTs from data with missing cells: expectation-maximization.
    independence d-separation (Bayes ball) and active trails.
    io, bif      JSON save/load and the BIF text format.
    drawing      the DAG as a PNG (needs matplotlib, imported lazily).
    examples     sprinkler, student, asia, random networks.
    demo         ``nnblocks demo bayes``.

Example:
    >>> from nnblocks.bayes import sprinkler
    >>> net = sprinkler()
    >>> posterior = net.query("Rain", evidence={"WetGrass": "true"})
    >>> round(posterior.to_dict()["true"], 4)
    0.7079
"""

from nnblocks.bayes.bif import BIFError, parse_bif, read_bif, to_bif, write_bif
from nnblocks.bayes.cpt import CPT, make_cpt
from nnblocks.bayes.drawing import draw, layout
from nnblocks.bayes.elimination import EliminationPlan
from nnblocks.bayes.em import EMResult, fit_cpts_em
from nnblocks.bayes.errors import (
    BayesNetError,
    CPTError,
    CycleError,
    FactorTooLargeError,
    UnknownNodeError,
    UnknownStateError,
    ZeroProbabilityEvidenceError,
)
from nnblocks.bayes.examples import asia, random_network, sprinkler, student
from nnblocks.bayes.factor import Factor, multiply
from nnblocks.bayes.gibbs import gibbs_sample
from nnblocks.bayes.independence import (
    active_trails,
    is_active_trail,
    is_d_separated,
    reachable,
)
from nnblocks.bayes.inference import (
    MAPResult,
    elimination_plan,
    evidence_probability,
    log_evidence_probability,
    map_query,
    query,
)
from nnblocks.bayes.io import from_json, load, save, to_json
from nnblocks.bayes.junction_tree import JunctionTree, marginals
from nnblocks.bayes.learning import count_table, fit_cpts
from nnblocks.bayes.network import BayesNet
from nnblocks.bayes.sampling import (
    estimate,
    forward_sample,
    likelihood_weighting,
    rejection_sample,
)

__all__ = [
    "CPT",
    "BIFError",
    "BayesNet",
    "BayesNetError",
    "CPTError",
    "CycleError",
    "EliminationPlan",
    "EMResult",
    "Factor",
    "FactorTooLargeError",
    "JunctionTree",
    "MAPResult",
    "UnknownNodeError",
    "UnknownStateError",
    "ZeroProbabilityEvidenceError",
    "active_trails",
    "asia",
    "count_table",
    "draw",
    "elimination_plan",
    "estimate",
    "evidence_probability",
    "fit_cpts",
    "fit_cpts_em",
    "forward_sample",
    "from_json",
    "gibbs_sample",
    "is_active_trail",
    "is_d_separated",
    "layout",
    "likelihood_weighting",
    "load",
    "log_evidence_probability",
    "make_cpt",
    "map_query",
    "marginals",
    "multiply",
    "parse_bif",
    "query",
    "random_network",
    "reachable",
    "read_bif",
    "rejection_sample",
    "save",
    "sprinkler",
    "student",
    "to_bif",
    "to_json",
    "write_bif",
]
