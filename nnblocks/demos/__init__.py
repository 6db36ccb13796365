"""Demos reachable as ``nnblocks demo NAME``: a registry of name → (description, run).

Each ``run(out_dir, rng=None, **knobs)`` computes the numbers of one claim of the lecture,
returns them as a JSON-ready dict and, when matplotlib is installed, saves its figure
``out_dir/<module>.png``; the keyword-only knobs (sizes, steps) exist so that tests can run a
smaller version. Each demo module also has ``format_results(results) -> str``, a short text
report. Demo modules are imported only when a demo runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: name → (one-line description, "module:function")
_DEMOS: dict[str, tuple[str, str]] = {
    "activations": (
        "sigmoid, tanh, ReLU, ELU and a maxout unit, with derivatives from the blocks' backward",
        "nnblocks.demos.activations:run",
    ),
    "bayes": (
        "Bayes net (sprinkler): exact inference vs rejection sampling and likelihood weighting",
        "nnblocks.bayes.demo:run",
    ),
    "bptt": (
        "RNN unfolded in time: vanishing/exploding ||dL/dh(T-k)||, and gradient clipping",
        "nnblocks.demos.bptt:run",
    ),
    "connectivity": (
        "parameters and multiply-adds: fully vs locally connected vs convolutional, O(mn) vs O(nk)",
        "nnblocks.demos.connectivity:run",
    ),
    "equivariance": (
        "conv(shift(x)) == shift(conv(x)); a fully convolutional net classifies any input size",
        "nnblocks.demos.equivariance:run",
    ),
    "features": (
        "filters and feature maps of a CNN trained on digits; classes separate layer by layer",
        "nnblocks.demos.features:run",
    ),
    "graph": (
        "the computational graph of an MLP: fused blocks, and expanded into primitives",
        "nnblocks.demos.graph:run",
    ),
    "handcrafted-vs-learned": (
        "Sobel/Gabor features + a linear classifier vs learned CNN filters on digits",
        "nnblocks.demos.handcrafted_vs_learned:run",
    ),
    "lr-decay": (
        "minibatch SGD: constant lr plateaus at a noise floor, Robbins-Monro decay converges",
        "nnblocks.demos.lr_decay:run",
    ),
    "optimizers": (
        "SGD, momentum, delta-bar-delta, Adagrad, RMSprop, Adam on a quadratic and Rosenbrock",
        "nnblocks.demos.optimizers:run",
    ),
    "perceptron": (
        "Rosenblatt's rule separates separable data, fails on XOR; a 2-layer MLP solves XOR",
        "nnblocks.demos.perceptron:run",
    ),
    "pooling-invariance": (
        "after a 1-pixel shift most detector outputs change, many max-pooled outputs do not",
        "nnblocks.demos.pooling_invariance:run",
    ),
    "sobel": (
        "Sobel kernels as a Conv2d give edge maps of a real image (checked by a double loop)",
        "nnblocks.demos.sobel:run",
    ),
    "true-convolution": (
        "true convolution = cross-correlation with the flipped kernel; commutes; learning absorbs "
        "the flip",
        "nnblocks.demos.true_convolution:run",
    ),
    "unfolding": (
        "an RNN folded (delay loop) and unfolded in time; BPTT on the unfolded graph = fused block",
        "nnblocks.demos.unfolding:run",
    ),
    "universal-approximation": (
        "one hidden layer of sigmoids fits sin + bump; max error falls with width (Cybenko)",
        "nnblocks.demos.universal_approximation:run",
    ),
}


def _lazy(target: str) -> Callable[..., Any]:
    module_name, function_name = target.split(":")

    def run(out_dir: Any, rng: Any = None, **knobs: Any) -> Any:
        function = getattr(importlib.import_module(module_name), function_name)
        return function(out_dir, rng=rng, **knobs)

    run.__name__ = function_name
    run.__qualname__ = f"{module_name}.{function_name}"
    return run


def registry() -> dict[str, tuple[str, Callable[..., Any]]]:
    """Every demo: ``{name: (description, run)}``; ``run(out_dir, rng=None, **knobs) -> dict``.

    >>> demos = registry()
    >>> "bayes" in demos and "universal-approximation" in demos, len(demos)
    (True, 16)
    >>> demos["bayes"][0].split(":")[0]
    'Bayes net (sprinkler)'
    """
    return {name: (description, _lazy(target)) for name, (description, target) in _DEMOS.items()}


def format_results(name: str, results: dict) -> str | None:
    """The text report of demo ``name``'s ``results`` (its module's ``format_results``), or None
    if the module has none (or the demo is not one of the registered modules)."""
    if name not in _DEMOS:
        return None
    module_name = _DEMOS[name][1].split(":")[0]
    formatter = getattr(importlib.import_module(module_name), "format_results", None)
    return None if formatter is None else formatter(results)
