"""The activations, losses, attention, normalisation and containers added for PyTorch programs,
against PyTorch: the functional forms through the parity harness of
``tests/core/test_tensor_methods.py`` (values, dtypes, shapes, gradients of every input), the
modules through ``tests/nn/parity.py`` (outputs and parameter gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import nnblocks as nb
from tests.conftest import import_torch
from tests.core.test_tensor_methods import _a
from tests.core.test_tensor_methods import test_method_matches_torch as _matches_torch
from tests.nn.parity import assert_module_parity

X = (_a(3, 4), True)
Y = (_a(3, 4, seed=5), True)
EDGES = (np.array([-7.0, -1.0, -0.5, 0.0, 0.5, 1.0, 6.0, 8.0]), True)   # at the kinks
IMG = (_a(2, 3, 4), True)
Q = (_a(2, 2, 3, 4), True)
K = (_a(2, 2, 5, 4, seed=1), True)
V = (_a(2, 2, 5, 6, seed=2), True)
LOGP = (np.log(np.random.default_rng(0).dirichlet(np.ones(4), 3)), True)
PROB = (np.array([[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0]]), False)
PROB_POS = (np.random.default_rng(1).dirichlet(np.ones(4), 3), True)   # no zero: target grads


def _f(name: str, **kw):
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kw)


def _kl(**kw):
    return lambda lib, x, t: lib.nn.functional.kl_div(x, t, **kw)


def _sdpa(**kw):
    return lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


ROWS = [
    ("silu", _f("silu"), [X]),
    ("relu6", _f("relu6"), [(np.array([-1.0, 0.0, 3.0, 6.0, 7.0]), True)]),
    ("hardtanh", _f("hardtanh"), [EDGES]),
    ("hardtanh_range", _f("hardtanh", min_val=-0.5, max_val=6.0), [EDGES]),
    ("prelu_shared", lambda lib, x, w: lib.nn.functional.prelu(x, w),
     [IMG, (np.array([0.25]), True)]),
    ("prelu_channels", lambda lib, x, w: lib.nn.functional.prelu(x, w),
     [IMG, (np.array([0.1, -0.3, 0.5]), True)]),
    ("logsigmoid", _f("logsigmoid"), [(np.array([-40.0, -3.0, 0.0, 2.0, 30.0]), True)]),
    ("softsign", _f("softsign"), [EDGES]),
    ("glu", _f("glu"), [X]),
    ("glu_dim0", _f("glu", dim=0), [(_a(4, 3), True)]),
    ("normalize", _f("normalize"), [X]),
    ("normalize_p1_dim0", _f("normalize", p=1.0, dim=0), [X]),
    ("normalize_zero_row", _f("normalize"), [(np.array([[0.0, 0.0], [3.0, 4.0]]), True)]),
    ("cosine_similarity", _f("cosine_similarity"), [X, Y]),
    ("cosine_similarity_dim_broadcast", _f("cosine_similarity", dim=-1),
     [IMG, (_a(3, 4, seed=8), True)]),
    ("cosine_similarity_zero", _f("cosine_similarity"),
     [(np.array([[0.0, 0.0], [1.0, 2.0]]), True), (np.array([[1.0, 1.0], [3.0, -1.0]]), True)]),
    ("kl_div_mean", _kl(), [LOGP, PROB]),
    ("kl_div_batchmean", _kl(reduction="batchmean"), [LOGP, PROB]),
    ("kl_div_sum", _kl(reduction="sum"), [LOGP, PROB]),
    ("kl_div_none", _kl(reduction="none"), [LOGP, PROB]),
    ("kl_div_target_grad", _kl(reduction="batchmean"), [LOGP, PROB_POS]),
    ("kl_div_log_target", _kl(reduction="batchmean", log_target=True), [LOGP, LOGP]),
    ("sdpa", _sdpa(), [Q, K, V]),
    ("sdpa_scale", _sdpa(scale=0.3), [Q, K, V]),
    ("sdpa_causal", _sdpa(is_causal=True), [Q, (_a(2, 2, 3, 4, seed=1), True),
                                            (_a(2, 2, 3, 6, seed=2), True)]),
    ("sdpa_bool_mask", lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [Q, K, V, (np.random.default_rng(1).random((3, 5)) > 0.3, False)]),
    ("sdpa_float_mask", lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [Q, K, V, (_a(3, 5, seed=4), True)]),
]


@pytest.mark.filterwarnings("ignore:.*reduction.*mean.*:UserWarning")
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_functional_matches_torch(row) -> None:
    _matches_torch(row)


@pytest.mark.parametrize("make, x", [
    (lambda nn: nn.SiLU(), _a(3, 4)),
    (lambda nn: nn.ReLU6(), _a(3, 4) * 5),
    (lambda nn: nn.Hardtanh(-0.5, 0.5), _a(3, 4)),
    (lambda nn: nn.PReLU(), _a(2, 3, 4)),
    (lambda nn: nn.PReLU(3, init=0.1), _a(2, 3, 4)),
    (lambda nn: nn.LogSigmoid(), _a(3, 4)),
    (lambda nn: nn.Softsign(), _a(3, 4)),
    (lambda nn: nn.GLU(), _a(3, 4)),
    (lambda nn: nn.Unflatten(1, (2, 2)), _a(3, 4)),
    (lambda nn: nn.Unflatten(-1, (2, -1)), _a(3, 4)),
], ids=["SiLU", "ReLU6", "Hardtanh", "PReLU", "PReLU_channels", "LogSigmoid", "Softsign", "GLU",
        "Unflatten", "Unflatten_minus_one"])
def test_module_matches_torch(make, x) -> None:
    torch = import_torch()
    assert_module_parity(make(nb.nn), make(torch.nn), x)


def test_prelu_initialises_like_torch() -> None:
    torch = import_torch()
    ours, theirs = nb.nn.PReLU(3), torch.nn.PReLU(3)
    assert ours.weight.dtype == np.float32 and ours.weight.shape == (3,)
    np.testing.assert_array_equal(ours.weight.array, theirs.weight.detach().numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]


@pytest.mark.filterwarnings("ignore:.*reduction.*mean.*:UserWarning")
def test_kl_div_loss_module_matches_torch() -> None:
    torch = import_torch()
    logp, p = LOGP[0], PROB[0]
    for kw in ({}, {"reduction": "batchmean"}, {"reduction": "sum", "log_target": True}):
        ours = nb.nn.KLDivLoss(**kw)(nb.tensor(logp), nb.tensor(np.log(p + 1e-3)
                                                                 if kw.get("log_target") else p))
        theirs = torch.nn.KLDivLoss(**kw)(torch.tensor(logp), torch.tensor(
            np.log(p + 1e-3) if kw.get("log_target") else p))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


class _Holder:
    """A module holding a ParameterList and a ParameterDict, built from ``nn`` (either lib)."""

    @staticmethod
    def make(nn, lib):
        class Holder(nn.Module):
            def __init__(self):
                super().__init__()
                self.scales = nn.ParameterList([nn.Parameter(lib.ones(2)) for _ in range(2)])
                self.extra = nn.ParameterDict({"bias": nn.Parameter(lib.zeros(3))})
                self.extra["gain"] = nn.Parameter(lib.ones(1))
                self.scales.append(nn.Parameter(lib.ones(4)))
        return Holder()


def test_parameter_containers_register_with_torchs_names() -> None:
    torch = import_torch()
    ours, theirs = _Holder.make(nb.nn, nb), _Holder.make(torch.nn, torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.parameters())) == 5
    assert ours.scales[-1].shape == (4,) and len(ours.scales) == 3
    assert "gain" in ours.extra and list(ours.extra.keys()) == ["bias", "gain"]
    for lib in (nb, torch):                      # a plain tensor becomes a Parameter(t)
        plain = lib.nn.ParameterList([lib.ones(2)])
        assert isinstance(plain[0], lib.nn.Parameter) and plain[0].requires_grad is True
        named = lib.nn.ParameterDict({"a": lib.ones(2)})
        assert isinstance(named["a"], lib.nn.Parameter) and named["a"].requires_grad is True
    ours.load_state_dict({k: v.detach().numpy() * 2 for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.scales[0].array, [2.0, 2.0])


@pytest.mark.parametrize("call, error, message", [
    (lambda F: F.glu(nb.ones(3, 3)), RuntimeError, "glu: halving dimension must be even"),
    (lambda F: F.prelu(nb.ones(2, 3), nb.ones(2)), RuntimeError,
     r"prelu: weight of shape \(2,\) needs 1 element or one per channel \(dim 1, 3\)"),
    (lambda F: F.hardtanh(nb.ones(2), 1.0, -1.0), ValueError, "hardtanh: min_val"),
    (lambda F: F.kl_div(nb.ones(2), nb.ones(2), reduction="avg"), ValueError,
     "kl_div: reduction must be one of"),
    (lambda F: F.cosine_similarity(nb.ones(2, 3), nb.ones(2, 4)), RuntimeError,
     r"cosine_similarity: x1 of shape \(2, 3\) and x2 of shape \(2, 4\)"),
    (lambda F: F.scaled_dot_product_attention(nb.ones(2, 3), nb.ones(2, 4), nb.ones(2, 4)),
     RuntimeError, r"scaled_dot_product_attention: .* got shapes \(2, 3\) and \(2, 4\)"),
    (lambda F: F.scaled_dot_product_attention(nb.ones(2, 3), nb.ones(2, 3), nb.ones(2, 3),
                                              attn_mask=nb.ones(2, 2), is_causal=True),
     RuntimeError, "either attn_mask or is_causal"),
    (lambda F: nb.nn.Unflatten(1, (2, 3))(nb.ones(2, 4)), RuntimeError,
     r"unflattened_size \(2, 3\) does not match dim 1 of size 4"),
    (lambda F: nb.nn.ParameterList([3]), TypeError, "ParameterList: expected a Parameter"),
])
def test_errors_name_the_function_and_what_was_expected(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(nb.nn.functional)


def test_kl_div_mean_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="batchmean"):
        nb.nn.functional.kl_div(nb.zeros(2, 2), nb.ones(2, 2) / 2)


def test_attention_dropout_uses_nnblocks_generator() -> None:
    q = nb.tensor(_a(2, 3, 4))
    F = nb.nn.functional
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, rng=np.random.default_rng(1))
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.array, b.array)
    assert not np.allclose(a.array, F.scaled_dot_product_attention(q, q, q).array)
