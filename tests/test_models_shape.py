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
