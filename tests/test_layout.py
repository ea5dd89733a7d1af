"""The package's shape: imports point one way, top to bottom, with no circles, and the tree stays small.

Layers, highest first: a module may import its own sub-package freely and anything in a lower
layer, never a layer above it nor a sibling of its own layer (feeds and posts know nothing of
each other). Every import counts, also those inside functions and under TYPE_CHECKING: a lazy
upward import is still an upward dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newscli"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),
    ("cli", "api"),  # the Typer app, command bodies, rendering (the only place that prints); the library face
    ("digest",),  # the cron run, its state, lock and the day's page
    ("pipeline",),  # sources → fetched pages and feeds → records
    ("feeds", "posts"),  # siblings: neither imports the other
    ("config",),
    ("tomltext",),
    ("page",),  # one page's bytes → Article
    ("net",),  # the only network code
    ("dates", "slugs"),
    ("models", "errors"),
)
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str:
    """The layer unit of a dotted module name below `newscli`: its sub-package or top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> set[str]:
    """The newscli modules `path` imports anywhere in it, as dotted names (a package's names, not its __init__)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "newscli")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "newscli":
                continue
            if target == "newscli" and all(a.name == "__version__" for a in node.names):
                continue  # the version constant of the package root, defined there without imports
            for alias in node.names:  # `from newscli.page import metadata` imports newscli.page.metadata
                sub = PACKAGE.parent / Path(*f"{target}.{alias.name}".split("."))
                found.add(
                    f"{target}.{alias.name}" if sub.with_suffix(".py").exists() or sub.is_dir() else target
                )
    return found


def import_graph() -> dict[str, set[str]]:
    """Every module of the package (but the lazy public face, newscli/__init__) and what it imports."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name == "newscli":
            continue  # the public face imports from everywhere, lazily, by design
        graph[name] = imports_of(path, name)
    return graph


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that point up a layer or sideways to a sibling, and modules of no known layer."""
    found = []
    for module, targets in sorted(graph.items()):
        here = unit_of(module)
        if here not in RANK:
            found.append(f"{module}: not in any layer of tests/test_layout.py")
            continue
        for target in sorted(targets):
            there = unit_of(target)
            if there == here:
                continue
            if there not in RANK:
                found.append(f"{module} imports {target}, which is in no layer")
            elif RANK[there] <= RANK[here]:
                way = "sideways to" if RANK[there] == RANK[here] else "up to"
                found.append(f"{module} imports {target}: {way} {there}")
    return found


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import circles among modules (strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_point_down_the_layers() -> None:
    assert violations(import_graph()) == []


def test_no_import_circles() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("module", "target", "why"),
    [
        ("newscli.net.http", "newscli.cli.render", "up to cli"),
        ("newscli.page.extract", "newscli.pipeline", "up to pipeline"),
        ("newscli.feeds.subscriptions", "newscli.posts.templates", "sideways to posts"),
        ("newscli.models", "newscli.dates", "up to dates"),
    ],
)
def test_a_planted_upward_import_is_caught(module: str, target: str, why: str) -> None:
    graph = import_graph()
    graph[module] = set(graph[module]) | {target}
    assert violations(graph) == [f"{module} imports {target}: {why}"]


def test_a_planted_circle_is_caught() -> None:
    graph = import_graph()
    graph["newscli.page.text"] = set(graph["newscli.page.text"]) | {"newscli.page.metadata"}
    assert any({"newscli.page.text", "newscli.page.metadata"} <= set(c) for c in cycles(graph))


def test_the_graph_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """Imports inside functions count, and `from newscli.page import metadata` names the module."""
    graph = import_graph()
    assert "newscli.page.pool" in graph["newscli.pipeline"]  # imported inside a method
    assert "newscli.page.metadata" in graph["newscli.page.extract"]


def test_the_tree_stays_small() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= 8, top
    for package in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 12, (package.name, sorted(m.name for m in modules))
        assert not any(m.stem.startswith(package.name) for m in modules), package.name  # no prefixes
    assert {unit_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {""} == set(RANK)
