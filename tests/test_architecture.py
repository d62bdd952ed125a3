"""The house rules, read from the code's own imports (function-level imports included): dependencies point one
way — the CLI (`tenderwatch`) → `crawler` / `web` → `storage` → `extract` → `models` — and no module imports
itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A package may import only packages of a lower layer. `crawler` and `web` share a layer and know nothing of
# each other; only the CLI, at the top, brings them together.
LAYERS = {"models": 0, "extract": 1, "storage": 2, "crawler": 3, "web": 3, "tenderwatch": 4}


def modules() -> dict[str, Path]:
    out = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_no_package_imports_a_package_above_or_beside_it():
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        for target in targets
        if (a := name.split(".")[0]) != (b := target.split(".")[0]) and LAYERS[b] >= LAYERS[a]
    )
    assert wrong == []


def test_no_module_imports_itself_back_through_others():
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_rules_are_checked_on_the_whole_tree():
    # guards the two tests above against passing on an empty or misread tree
    graph = import_graph()
    assert {"storage.processing", "models.raw", "crawler.pipelines", "web.app"} <= set(graph)
    assert "models.raw" in graph["storage.processing"] and "storage.processing" in graph["crawler.storing"]


def project_sources() -> dict[str, ast.Module]:
    """Every project module's syntax tree, but the migrations: they keep frozen copies of the tables by design."""
    return {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in modules().items()
            if not name.startswith("storage.migrations")}


def test_each_tables_core_handle_is_declared_once_in_models_tables():
    wrong = sorted(
        f"{name}:{node.lineno}"
        for name, tree in project_sources().items() if name != "models.tables"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "__table__"
    )
    assert wrong == []


def test_only_the_models_use_the_orm_everything_else_queries_in_sqlalchemy_core():
    """One query style: no `sqlmodel` import (its Session and select) outside `models`; a caller's ORM Session is
    only a way to its connection (`storage.reading.connection_of`)."""
    wrong = sorted(
        f"{name}:{node.lineno}"
        for name, tree in project_sources().items() if not name.startswith("models")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlmodel"
        or isinstance(node, ast.Import) and any(a.name.split(".")[0] == "sqlmodel" for a in node.names)
    )
    assert wrong == []
