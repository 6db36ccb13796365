"""EM with missing cells: recovers the generating CPTs, never lowers the likelihood, equals the
complete-data MLE when nothing is missing."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.bayes import BayesNetError, fit_cpts, fit_cpts_em, sprinkler, student


def blank(net):
    """The same structure and states, CPTs to be learned."""
    out = net.copy()
    for node in out.nodes:
        out.remove_cpt(node)
    return out


def max_cpt_error(a, b) -> float:
    return max(float(np.abs(a.cpt(n).values - b.cpt(n).values).max()) for n in a.nodes)


@pytest.mark.parametrize("make", [sprinkler, student])
def test_em_recovers_cpts_from_data_with_30_percent_missing(make, rng):
    truth = make()
    rows = truth.sample(20_000, rng=rng)  # (20000, n_nodes) int
    rows[rng.random(rows.shape) < 0.3] = -1
    result = fit_cpts_em(blank(truth), rows, rng=rng)
    assert max_cpt_error(result.net, truth) < 0.05
    gains = np.diff(result.log_likelihoods)
    assert np.all(gains >= -1e-9 * abs(result.log_likelihoods[0]))
    assert result.converged and len(result.log_likelihoods) > 2


def test_em_without_missing_cells_is_the_mle(rng):
    truth = sprinkler()
    rows = truth.sample(2_000, rng=rng)
    mle = fit_cpts(blank(truth), rows)
    em = fit_cpts_em(blank(truth), rows, rng=rng).net
    assert max_cpt_error(em, mle) < 1e-12


def test_em_accepts_dicts_with_none_and_structured_arrays(rng):
    truth = sprinkler()
    names = truth.sample(3_000, rng=rng, as_dict=True)
    columns = {n: [None if rng.random() < 0.2 else s for s in v] for n, v in names.items()}
    from_dict = fit_cpts_em(blank(truth), columns, rng=np.random.default_rng(0)).net
    as_index = {n: [-1 if s is None else truth.states(n).index(s) for s in v]
                for n, v in columns.items()}  # fmt: skip
    structured = np.zeros(3_000, dtype=[(n, np.int64) for n in truth.nodes])
    for n in truth.nodes:
        structured[n] = as_index[n]
    from_struct = fit_cpts_em(blank(truth), structured, rng=np.random.default_rng(0)).net
    assert max_cpt_error(from_dict, from_struct) < 1e-12
    with pytest.raises(BayesNetError, match="different lengths"):
        fit_cpts_em(blank(truth), {"Rain": [0, 1], "Cloudy": [0]})
