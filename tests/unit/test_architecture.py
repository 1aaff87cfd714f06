"""The pure cores never import Dagster (rule 1 of the house); the shared room imports no other room; no
module of the project imports itself through others (no import cycle, lazy imports included)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}


def _imports(package: str) -> list[str]:
    """'path: module' for every module that a file of `package` imports."""
    found = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names]
    return found


@pytest.mark.parametrize(
    "package", ["common", "sources", "linkage", "engines", "warehouse", "marts", "reports", "search"]
)
def test_pure_cores_do_not_import_dagster_or_later_layers(package):
    forbidden = {"dagster", "assets", "pipelines"}
    assert [i for i in _imports(package) if i.split(": ")[1].split(".")[0] in forbidden] == []


def test_the_shared_room_imports_no_other_room():
    """common/ sits below every room, so that each of them may import it without a circle."""
    assert [i for i in _imports("common") if i.split(": ")[1].split(".")[0] in ROOMS - {"common"}] == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports anywhere in its file (a lazy import in a function counts)."""
    files = {_module_name(p): p for room in ROOMS for p in (ROOT / room).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        graph[name] = {m for m in imported if m in files and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycle_among_the_projects_modules():
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _is_asset(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return getattr(target, "id", getattr(target, "attr", None)) in {"asset", "multi_asset"}


def test_every_asset_reads_calls_one_core_writes_and_reports():
    """An asset is wiring: about 30 lines with its signature; what it computes lives in a core."""
    long = [
        f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in (ROOT / "assets").glob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef) and any(_is_asset(d) for d in node.decorator_list)
        if node.end_lineno - node.lineno + 1 > 35
    ]
    assert long == []
