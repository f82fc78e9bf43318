"""The folders are layers (docs/architecture.md): every production module imports only what its layer may."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "settings": frozenset(),
    "contracts": frozenset(),
    "security": frozenset({"settings"}),
    "clients": frozenset({"settings", "domain"}),
    "store": frozenset({"settings", "security", "domain"}),
    "workflows": frozenset({"domain", "activities"}),
    "activities": frozenset(
        {"domain", "clients", "store", "workflows", "settings", "observability", "workers"}
    ),
    "observability": frozenset({"settings", "store", "workflows"}),
    "starters": frozenset(
        {"domain", "clients", "store", "security", "settings", "observability", "workflows", "workers"}
    ),
}
"""The layers a folder may import besides its own; workers/ (the composition root) and the dev tools may
import anything."""

ONLY_THESE: dict[tuple[str, str], frozenset[str]] = {
    ("activities", "workers"): frozenset({"workers.dependencies"}),
    ("starters", "workers"): frozenset({"workers.client", "workers.dependencies", "workers.logs"}),
}
"""Where a layer reaches a higher one, the only modules it may reach there (shared process wiring)."""


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _forbidden(imports: set[str], layer: str, relative: str) -> list[str]:
    problems = []
    for module in sorted(imports):
        target = module.split(".")[0]
        if target == layer or (target not in MAY_IMPORT and target != "workers"):
            continue
        allowed = target in MAY_IMPORT[layer]
        only = ONLY_THESE.get((layer, target))
        if not allowed or (only is not None and module not in only):
            problems.append(f"{relative} imports {module}")
    return problems


def test_every_layer_imports_only_what_docs_architecture_allows() -> None:
    problems = [
        problem
        for layer in MAY_IMPORT
        for path in sorted((REPO / layer).rglob("*.py"))
        for problem in _forbidden(_imports(path), layer, str(path.relative_to(REPO)))
    ]
    assert problems == []
