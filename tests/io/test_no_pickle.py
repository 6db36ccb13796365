"""The library never unpickles: no ``pickle`` import and no ``allow_pickle=True`` in nnblocks/."""

from __future__ import annotations

import ast
from pathlib import Path

import nnblocks

ROOT = Path(nnblocks.__file__).parent


def test_no_pickle_in_the_library():
    offenders = []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                    offenders.append(f"{path}:{node.value.lineno} allow_pickle not False")
                continue
            else:
                continue
            if any(n.split(".")[0] in ("pickle", "cPickle", "dill", "joblib") for n in names):
                offenders.append(f"{path}:{node.lineno} imports {names}")
    assert offenders == []
