"""Demos reachable as ``nnblocks demo NAME``: a registry of name → (description, run).

Each ``run(out_dir, rng=None)`` writes its figures into ``out_dir`` and returns a dict of numbers.
Demo modules are imported only when a demo runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: name → (one-line description, "module:function")
_DEMOS: dict[str, tuple[str, str]] = {
    "bayes": (
        "Bayes net (sprinkler): exact inference vs rejection sampling and likelihood weighting",
        "nnblocks.bayes.demo:run",
    ),
}


def _lazy(target: str) -> Callable[..., Any]:
    module_name, function_name = target.split(":")

    def run(out_dir: Any, rng: Any = None) -> Any:
        function = getattr(importlib.import_module(module_name), function_name)
        return function(out_dir, rng=rng)

    run.__name__ = function_name
    run.__qualname__ = f"{module_name}.{function_name}"
    return run


def registry() -> dict[str, tuple[str, Callable[..., Any]]]:
    """Every demo: ``{name: (description, run)}``; ``run(out_dir, rng=None) -> dict``.

    >>> sorted(registry())[:1], registry()["bayes"][0].split(":")[0]
    (['bayes'], 'Bayes net (sprinkler)')
    """
    return {name: (description, _lazy(target)) for name, (description, target) in _DEMOS.items()}
