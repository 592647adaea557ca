"""The layers between packages, read from the source with `ast`: every import, at module level or inside a
function. core (with app.extensions and app.config) is shared plumbing and imports no feature; features
import each other without a cycle; no app module is imported inside a function (only WeasyPrint and pyHanko,
which are not app modules, stay lazy); documents renders plain snapshots and imports no model of reviews or
submissions. Run with -s to see the graph."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
FEATURES = ("auth", "questionnaires", "submissions", "reviews", "documents", "archive", "reports", "admin", "demo")
PLUMBING = {"core", "extensions", "config"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for every import statement of the file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                # `from app.core import audit` names a module too: count each name as target.name.
                found.append((target, in_function))
                found.extend((f"{target}.{alias.name}", in_function) for alias in child.names)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    return "core" if parts[1] in PLUMBING else parts[1] if parts[1] in FEATURES else None


def _graph() -> tuple[dict[str, set[str]], list[str], dict[str, set[str]]]:
    edges: dict[str, set[str]] = defaultdict(set)
    local: list[str] = []
    targets_of: dict[str, set[str]] = defaultdict(set)
    for path in sorted(APP.rglob("*.py")):
        source = _layer(_module_name(path))
        for target, in_function in _imports(path):
            layer = _layer(target)
            if layer is None:
                continue
            if in_function:
                local.append(f"{path.relative_to(APP.parent)}: {target}")
            if source is not None:
                targets_of[source].add(target)
                if layer != source:
                    edges[source].add(layer)
    return edges, local, targets_of


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def walk(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt):], nxt] if nxt in trail else [*trail, nxt]
            if nxt not in state and (found := walk(nxt, [*trail, nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (found := walk(start, [start])):
            return found
    return None


def _drawn(edges: dict[str, set[str]]) -> str:
    return "\n".join(f"  {source:<15} -> {', '.join(sorted(edges[source])) or '(nothing)'}"
                     for source in ("core", *FEATURES))


def test_core_imports_no_feature_and_features_import_each_other_without_a_cycle():
    edges, _, _ = _graph()
    print("\nimports between packages (core = app.core, app.extensions, app.config):\n" + _drawn(edges))
    assert not edges["core"] - {"core"}, f"core imports features: {sorted(edges['core'])}"
    cycle = _cycle(edges)
    assert cycle is None, "import cycle between features: " + " -> ".join(cycle or []) + "\n" + _drawn(edges)


def test_no_app_module_is_imported_inside_a_function():
    _, local, _ = _graph()
    assert not local, "imports of app modules inside functions:\n" + "\n".join(local)


def test_documents_imports_no_model_of_reviews_or_submissions():
    _, _, targets_of = _graph()
    forbidden = sorted(t for t in targets_of["documents"]
                       if t.startswith("app.reviews") or t.startswith("app.submissions.models"))
    assert not forbidden, f"documents imports {forbidden}"
