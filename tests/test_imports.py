"""The import graph of the four packages: no circle, and dependencies pointing one way only.

Every module of ``navigator/``, ``routing/``, ``beacons/`` and ``voice/`` is parsed with ``ast``
(nothing is imported), and every ``import`` counts, also one inside a function: hiding an import
in a function keeps a circle from failing at import time, it does not remove it.
DESIGN.md: ``navigator -> routing, beacons, voice``; ``voice -> routing``; ``beacons -> routing``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("navigator", "routing", "beacons", "voice")
#: Which other packages each package may import (its own modules are always allowed).
MAY_IMPORT = {
    "navigator": {"routing", "beacons", "voice"},
    "voice": {"routing"},
    "beacons": {"routing"},
    "routing": set(),
}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the four packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = module_files()


def _owner(name: str) -> str | None:
    """The project module an imported name lives in (the longest known prefix), if any."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in MODULES:
            return candidate
    return None


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute module of ``from ... import``, also for relative forms (``from .x``)."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str) -> dict[str, list[tuple[int, bool]]]:
    """Project modules ``module`` imports -> [(line, inside a function?)]."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found: dict[str, list[tuple[int, bool]]] = {}

    def visit(node: ast.AST, in_function: bool) -> None:
        targets: list[str | None] = []
        if isinstance(node, ast.Import):
            targets = [_owner(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` mod
            targets = [_owner(f"{source}.{alias.name}") or _owner(source) for alias in node.names]
        for target in targets:
            if target is not None and target != module:
                found.setdefault(target, []).append((node.lineno, in_function))
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for module in MODULES:
        for target, where in imports_of(module).items():
            graph.add_edge(module, target, where=where)
    return graph


def test_the_parser_sees_module_and_function_level_imports() -> None:
    """A check on the checker: known imports of both kinds are found, and told apart."""
    graph = import_graph()
    assert graph.edges["navigator.mapstate", "routing.paths"]["where"][0][1] is False
    assert graph.has_edge("navigator.mapstate", "navigator.storage")
    assert all(inside for _, inside in graph.edges["navigator.cli", "navigator.workers"]["where"])


def test_no_import_cycle_in_the_four_packages() -> None:
    graph = import_graph()
    cycles = sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(graph))
    assert cycles == []


def test_dependencies_point_only_navigator_to_the_rest_and_voice_beacons_to_routing() -> None:
    wrong = []
    for module in MODULES:
        for target, where in imports_of(module).items():
            src, dst = module.split(".")[0], target.split(".")[0]
            if src != dst and dst not in MAY_IMPORT[src]:
                wrong.append(f"{module} imports {target} (line {where[0][0]})")
    assert wrong == []


def test_the_app_factory_imports_nothing_inside_its_functions() -> None:
    """app.py is where a circle used to hide, behind imports inside functions."""
    tree = ast.parse(MODULES["navigator.app"].read_text())
    inside = [node.lineno for fn in ast.walk(tree)
              if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
              for node in ast.walk(fn) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert inside == []
