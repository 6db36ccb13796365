"""No two files of nnblocks import each other, even through imports inside functions.

A function-level import hides a cycle from Python's import machinery but not from a reader:
the two files still depend on each other. Shared helpers go to a small module both import
(e.g. ``functional/dims.py`` for ``reduce.py`` and ``shape.py``). Imports under
``if TYPE_CHECKING:`` do not run and are ignored.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nnblocks

ROOT = Path(nnblocks.__file__).parent


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


class _Imports(ast.NodeVisitor):
    """The nnblocks modules one file imports (at any depth), with the line of each."""

    def __init__(self, known: dict[str, Path]) -> None:
        self.known = known
        self.found: dict[str, int] = {}

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = getattr(test, "id", None) or getattr(test, "attr", None)
        if name == "TYPE_CHECKING":                    # never runs
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in self.known:
                self.found.setdefault(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.module or node.level:
            return
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            target = full if full in self.known else node.module
            if target in self.known:
                self.found.setdefault(target, node.lineno)


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    known = modules(root)
    graph = {}
    for name, path in known.items():
        visitor = _Imports(known)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        visitor.found.pop(name, None)
        graph[name] = visitor.found
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    edges = [f"  {a} -> {b} (line {line})" for a in component
             for b, line in graph[a].items() if b in component]
    return "import cycle:\n" + "\n".join(edges)


def test_no_import_cycle_between_files() -> None:
    graph = import_graph(ROOT)
    assert len(graph) > 100
    found = cycles(graph)
    assert not found, "\n".join(describe(c, graph) for c in found)


def test_the_checker_finds_a_cycle_through_a_function_level_import(tmp_path) -> None:
    fake = tmp_path / "nnblocks"
    (fake / "functional").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "functional" / "__init__.py").write_text("")
    (fake / "functional" / "a.py").write_text("from nnblocks.functional.b import g\n")
    (fake / "functional" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import nnblocks.functional.c\n"
        "def g():\n    from nnblocks.functional import a\n")
    (fake / "functional" / "c.py").write_text("import nnblocks.functional.b\n")
    graph = import_graph(fake)
    assert cycles(graph) == [["nnblocks.functional.a", "nnblocks.functional.b"]]
    assert "nnblocks.functional.b -> nnblocks.functional.a (line 5)" in describe(
        cycles(graph)[0], graph)
