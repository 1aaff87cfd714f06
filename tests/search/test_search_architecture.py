"""search/ stands beside assets: it builds on the pure cores and never imports Dagster or the wiring."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"sources", "linkage", "warehouse", "search", "assets", "pipelines", "demo", "marts"}
ALLOWED = {"search", "sources", "linkage", "warehouse"}


def test_search_imports_only_the_pure_cores():
    offenders = []
    for path in (ROOT / "search").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "dagster" or (top in PROJECT and top not in ALLOWED):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
