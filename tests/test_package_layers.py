"""sf_curric's top-level packages point one way (docs/architecture.md, "Layout"), counting imports inside functions;
no file is over 500 lines and no function over 100.

The imports are read from the source with `ast` (every `import` and `from ... import`, at any depth), so an import
hidden in a function body counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sf_curric"


def _module_parts(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """`(module, line)` of every import in `path`, relative imports resolved."""
    parts = _module_parts(path)
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                found.append((module, node.lineno))
            else:
                found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _top(module: str) -> str | None:
    """The top-level package (or module) of sf_curric that `module` belongs to."""
    parts = module.split(".")
    if parts[0] != "sf_curric":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def package_imports() -> dict[tuple[str, str], list[str]]:
    """`(importing package, imported package) -> ["file:line", ...]` between different top-level packages."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _top(".".join(_module_parts(path)))
        for module, line in _imported_modules(path):
            target = _top(module)
            if target is not None and target != source and target != "__init__":
                edges[(source, target)].append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return edges


def _cycle_members(edges: dict[tuple[str, str], list[str]]) -> set[str]:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)

    def reaches(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in graph[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    return {node for node in list(graph) if node in reaches(node)}


def test_no_two_way_imports_between_top_level_packages():
    edges = package_imports()
    two_way = {tuple(sorted(pair)) for pair in edges if (pair[1], pair[0]) in edges}
    described = [f"{a} <-> {b}: {edges[(a, b)][:2]} / {edges[(b, a)][:2]}" for a, b in sorted(two_way)]
    assert not described, "packages import each other (move the shared code below both):\n" + "\n".join(described)


def test_the_packages_form_layers_without_a_cycle():
    edges = package_imports()
    in_cycle = _cycle_members(edges)
    detail = {pair: where[:2] for pair, where in edges.items() if pair[0] in in_cycle and pair[1] in in_cycle}
    assert not in_cycle, f"an import cycle through {sorted(in_cycle)}: {detail}"


def test_the_lowest_packages_import_no_higher_one():
    edges = package_imports()
    lowest = (
        ("errors", set()),
        ("flags", set()),
        ("curricula", {"errors"}),
        ("cfg", {"errors", "flags", "envs", "curricula"}),
    )
    for low, allowed in lowest:
        imported = {b for a, b in edges if a == low}
        assert imported <= allowed, f"sf_curric.{low} imports {sorted(imported - allowed)}"


def test_no_file_over_500_lines_and_no_function_over_100():
    long_files = [str(p) for p in PACKAGE.rglob("*.py") if len(p.read_text().splitlines()) > 500]
    long_functions = [
        f"{path.relative_to(PACKAGE.parent)}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 100
    ]
    assert not long_files and not long_functions, (long_files, long_functions)
