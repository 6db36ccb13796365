"""The demo registry behind ``nnblocks demo``: every demo listed, lazily importable, runnable."""

from __future__ import annotations

import importlib
import inspect

from nnblocks.demos import _DEMOS, format_results, registry

NAMES = {"activations", "universal-approximation", "perceptron", "sobel", "pooling-invariance",
         "equivariance", "connectivity", "optimizers", "lr-decay", "features", "bptt", "bayes",
         "true-convolution", "handcrafted-vs-learned", "unfolding", "graph"}


def test_every_demo_of_the_issue_is_registered():
    demos = registry()
    assert set(demos) == NAMES
    for name, (description, run) in demos.items():
        assert description and callable(run), name
        module_name, function_name = _DEMOS[name][1].split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        parameters = inspect.signature(function).parameters
        assert list(parameters)[:2] == ["out_dir", "rng"], name
        assert all(p.kind is p.KEYWORD_ONLY for p in list(parameters.values())[2:]), name


def test_registry_run_passes_knobs_and_formats(tmp_path, no_matplotlib):
    run = registry()["connectivity"][1]
    results = run(tmp_path, rng=None, measured_sides=(6,), formula_sides=())
    assert results["all_match"] and results["figure"] is None
    assert "6x6" in format_results("connectivity", results)


def test_cli_lists_the_demos(capsys):
    from nnblocks.cli.main import main

    assert main(["demo", "--list"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines() if line}
    assert listed == NAMES
