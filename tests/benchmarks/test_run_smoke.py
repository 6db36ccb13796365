"""Smoke tests of benchmarks/run.py: the harness runs end to end. No timing is asserted."""

from __future__ import annotations

import json

from benchmarks import run
from benchmarks.cases import find_case
from benchmarks.parity import check_parity
from tests.conftest import import_torch


def test_run_main_times_tiny_cases_in_a_worker(tmp_path):
    out = tmp_path / "results.json"
    argv = ["--cases", "ops,mlp", "--threads", "1", "--frameworks", "nnblocks",
            "--warmup", "1", "--steps", "2", "--repeats", "1", "--json", str(out),
            "--gemm-seconds", "0.1"]
    assert run.main(argv) == 0
    results = json.loads(out.read_text())
    rows = {row["case"]: row["frameworks"]["nnblocks"] for row in results["rows"]}
    assert rows["ops"]["status"] == "ok"                   # needs only the core engine
    assert rows["ops"]["steps"] == 2 and rows["ops"]["median_ms"] > 0
    assert rows["mlp"]["status"] in ("ok", "not available"), rows["mlp"]
    if rows["mlp"]["status"] == "ok":                      # GEMM share sampled for the MLP
        assert 0.0 <= rows["mlp"]["gemm_share"] <= 1.0
    assert results["meta"]["workers"]["nnblocks, threads=1"]["pools"] is not None


def test_parity_check_agrees_with_pytorch():
    # Case 6 only: a training case would import torch.optim, whose first step costs seconds
    # (it loads torch._dynamo); run.py checks every case's parity on each benchmark run.
    import_torch()
    result = check_parity(find_case("ops"))
    assert result["ok"], result["messages"]
    assert set(result["errors"]) == {"result", "input gradient"}
