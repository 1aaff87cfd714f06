"""The pure cores never import Dagster (rule 1 of the house); the shared room imports no other room."""

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


@pytest.mark.parametrize("package", ["common", "sources", "linkage", "warehouse", "marts", "reports", "search"])
def test_pure_cores_do_not_import_dagster_or_later_layers(package):
    forbidden = {"dagster", "assets", "pipelines"}
    assert [i for i in _imports(package) if i.split(": ")[1].split(".")[0] in forbidden] == []


def test_the_shared_room_imports_no_other_room():
    """common/ sits below every room, so that each of them may import it without a circle."""
    assert [i for i in _imports("common") if i.split(": ")[1].split(".")[0] in ROOMS - {"common"}] == []
