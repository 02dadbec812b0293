"""core and viewer have no import circles: the graph of their modules' imports (top-level
and inside functions alike, read with ast) is acyclic; and viewer's rooms depend one way."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
VIEWER = ROOT / "viewer"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph(top: Path = CORE) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in top.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # "from . import ops" names a module; "from .x import y" names x (or x.y
                # when y is a module itself).
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    graph[name].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_checker_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_relative_and_lazy_imports():
    graph = import_graph()
    assert "core.ops" in graph["core.cascade"]              # from . import ops
    assert "core.ops.geometry" in graph["core.engine"]       # from .ops.geometry import ...
    assert "core.engine" in graph["core.cli.main"]           # inside a function


def test_core_has_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_viewer_has_no_import_circles():
    cycle = find_cycle(import_graph(VIEWER))
    assert cycle is None, " -> ".join(cycle)


# viewer's rooms, lowest first: a module may import from its own room and the rooms below.
# model (no widgets) < panels (the views around the canvas) < canvas < the window itself
# (viewer.* at the top: app, main window, menus, and the process-wide helpers they use).
ROOMS = ("viewer.model", "viewer.panels", "viewer.canvas")
TOP_HELPERS = {"viewer.logs", "viewer.memory", "viewer.bundled_fonts", "viewer.widget_tree",
               "viewer.refcounts", "viewer"}


def room_of(module: str) -> int:
    for rank, room in enumerate(ROOMS):
        if module == room or module.startswith(room + "."):
            return rank
    return len(ROOMS)


def test_viewer_rooms_depend_downwards_only():
    graph = import_graph(VIEWER)
    assert "viewer.model.render" in graph["viewer.canvas.preview"]    # the graph is read
    upward = [f"{m} -> {t}" for m, targets in graph.items() for t in sorted(targets)
              if t not in TOP_HELPERS and room_of(t) > room_of(m)]
    assert not upward, upward


def test_the_viewer_model_has_no_widgets():
    for path in (VIEWER / "model").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "QtWidgets" not in text, path.name
