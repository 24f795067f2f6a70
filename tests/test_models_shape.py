"""The models package stands alone: it imports nothing from the web layer, and its
modules import each other one way only (flows on top, the ledger at the bottom)."""

from __future__ import annotations

import ast
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(), str(path)) for path in sorted(MODELS.glob("*.py"))}


def _imports(tree: ast.AST):
    """Every imported module name in ``tree`` (``from models import x`` names models.x),
    with whether the import sits inside a function."""
    functions = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
                 for node in ast.walk(fn)}
    for node in ast.walk(tree):
        local = id(node) in functions
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, local
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, local
            for alias in node.names:
                yield f"{node.module}.{alias.name}", local


def test_models_import_nothing_from_web_or_views():
    offenders = sorted({(name, module) for name, tree in _modules().items() for module, _local in _imports(tree)
                        if module.split(".")[0] in ("web", "views")})
    assert offenders == []


def _graph() -> dict[str, set[str]]:
    """models module → the models modules it imports (at module level or inside functions)."""
    trees = _modules()
    trees.pop("__init__")  # the package imports every module to register the tables
    graph = {name: set() for name in trees}
    for name, tree in trees.items():
        for module, _local in _imports(tree):
            parts = module.split(".")
            if parts[0] == "models" and len(parts) > 1 and parts[1] in trees and parts[1] != name:
                graph[name].add(parts[1])
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle, as the modules along it, or [] when the arrows run one way."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_models_import_each_other_one_way():
    assert _cycle(_graph()) == []


def test_no_models_import_hides_inside_a_function():
    """A function-local import is how a circle hides: every models import is at the top."""
    local = sorted({(name, module) for name, tree in _modules().items() for module, is_local in _imports(tree)
                    if is_local and module.split(".")[0] == "models"})
    assert local == []


def test_the_ledger_is_at_the_bottom_and_flows_on_top():
    graph = _graph()
    assert not graph["ledger"] & {"savings", "loans", "orders", "resignation", "books_check"}
    assert not graph["savings"] & {"loans", "resignation"} and not graph["loans"] & {"savings", "resignation"}
    assert {"ledger", "loans"} <= graph["resignation"] and {"ledger", "loans"} <= graph["books_check"]


def test_the_cycle_finder_finds_a_circle():
    """The graph test would notice the circle this package used to have."""
    graph = {"koperasi": {"ledger"}, "ledger": {"loans"}, "loans": {"savings"}, "savings": {"loans"}}
    assert _cycle(graph) == ["loans", "savings", "loans"]
