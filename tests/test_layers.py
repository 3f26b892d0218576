"""The house rules a newcomer can rely on: no import circles inside rapport."""

from __future__ import annotations

import ast
from pathlib import Path

import rapport

SOURCE = Path(rapport.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """rapport's modules that `path` imports anywhere (top level, functions, TYPE_CHECKING
    blocks alike: a circle that only a late import hides is still a circle)."""
    found = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = sorted(SOURCE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    graph = {module_name(f): imports(f, modules) for f in files}
    # Importing a.b runs a/__init__.py first: a package's own parent is no edge of its own.
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for neighbour in sorted(graph.get(module, ())):
            if state.get(neighbour) == 1:
                return path[path.index(neighbour) :] + [neighbour]
            if neighbour not in state and (found := visit(neighbour)):
                return found
        state[module] = 2
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_module_graph_has_no_circle():
    found = cycle(import_graph())
    assert found is None, " → ".join(found or [])


def test_the_walk_finds_a_circle_when_there_is_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_walk_sees_rapports_own_imports():
    graph = import_graph()
    assert "rapport.briefing" in graph["rapport.cli"] or any(
        "rapport.briefing" in deps for deps in graph.values()
    )
    assert "rapport.rows" in graph["rapport.clients"]
