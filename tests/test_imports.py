"""Imports flow one way: core <- functional <- nn <- optim <- train <- cli.

Every module of the package is parsed with ``ast`` (imports inside functions count too) and each
import of another nnblocks subpackage is checked against the layer rules below. ``data``, ``io``,
``viz``, ``bayes`` and ``testing`` never import ``train`` or ``cli``; a subpackage not listed here
is allowed anything but ``cli``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nnblocks

ROOT = Path(nnblocks.__file__).parent
ROOT_NAME = "nnblocks"

#: subpackage -> the other nnblocks subpackages it may import (None: anything but the forbidden)
ALLOWED: dict[str, set[str] | None] = {
    "_random": set(),
    "core": {"_random"},
    "kernels": set(),
    "functional": {"core", "kernels", "_random"},
    "nn": {"core", "functional", "_random", "distributed"},
    "distributed": {"core"},
    "optim": {"core", "functional", "kernels", "nn", "_random"},
}
#: subpackage -> subpackages it must never import (on top of ALLOWED)
FORBIDDEN: dict[str, set[str]] = {
    "data": {"train", "cli"},
    "io": {"train", "cli"},
    "viz": {"train", "cli"},
    "bayes": {"train", "cli"},
    "testing": {"train", "cli"},
    "onnx": {"train", "cli"},
    "train": {"cli"},
    "__main__": set(),                         # ``python -m nnblocks``: the CLI entry point
}
#: what any subpackage not named above must not import
DEFAULT_FORBIDDEN = {"cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == ROOT_NAME:                # from nnblocks import nn: a subpackage import
                found.extend((node.lineno, f"{ROOT_NAME}.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, target))
    return found


def subpackage(module: str) -> str | None:
    """``nnblocks.nn.module`` -> ``nn``; None outside nnblocks and for the root package."""
    parts = module.split(".")
    if parts[0] != ROOT_NAME or len(parts) < 2:
        return None
    return parts[1]


def violations(path: Path) -> list[str]:
    own = subpackage(module_name(path))
    if own is None:                                # nnblocks/__init__.py: the public surface
        return []
    allowed = ALLOWED.get(own)
    forbidden = FORBIDDEN.get(own, DEFAULT_FORBIDDEN if allowed is None else set())
    bad = []
    for line, target in imported_modules(path):
        if target == ROOT_NAME and allowed is not None:
            bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports the root package "
                       f"'{ROOT_NAME}' ({own} may import only {sorted(allowed)})")
            continue
        other = subpackage(target)
        if other is None or other == own:
            continue
        if (allowed is not None and other not in allowed) or other in forbidden:
            bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target} "
                       f"({own} must not import {other})")
    return bad


FILES = sorted(ROOT.rglob("*.py"))


def test_the_package_has_modules():
    assert any(f.parts[-2:] == ("core", "tensor.py") for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_flow_one_way(path):
    bad = violations(path)
    assert not bad, "\n".join(bad)


def test_the_checker_catches_a_backward_import(tmp_path, monkeypatch):
    """The rules themselves: a core module importing nn, a data module importing train."""
    fake = tmp_path / ROOT_NAME
    (fake / "core").mkdir(parents=True)
    (fake / "data").mkdir()
    (fake / "widgets").mkdir()
    (fake / "core" / "bad.py").write_text("def f():\n    from nnblocks.nn import Module\n")
    (fake / "core" / "rel.py").write_text("from ..functional import math\n")
    (fake / "core" / "ok.py").write_text("from nnblocks._random import get_rng\n"
                                         "from nnblocks import _random\nfrom . import x\n")
    (fake / "core" / "root.py").write_text("import nnblocks\n")
    (fake / "data" / "bad.py").write_text("import nnblocks.train.loop\n")
    (fake / "widgets" / "bad.py").write_text("from nnblocks import cli\n")
    (fake / "widgets" / "ok.py").write_text("from nnblocks import nn, train\n")
    monkeypatch.setattr(f"{__name__}.ROOT", fake)
    assert "core must not import nn" in violations(fake / "core" / "bad.py")[0]
    assert "core must not import functional" in violations(fake / "core" / "rel.py")[0]
    assert violations(fake / "core" / "ok.py") == []
    assert "imports the root package" in violations(fake / "core" / "root.py")[0]
    assert "data must not import train" in violations(fake / "data" / "bad.py")[0]
    assert "widgets must not import cli" in violations(fake / "widgets" / "bad.py")[0]
    assert violations(fake / "widgets" / "ok.py") == []
