"""Helpers for the reader tests: source folders built in tmp_path, and the checks every read must pass."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

XLS = Path(__file__).parents[1] / "fixtures" / "xls" / "inventory.xls"  # a genuine BIFF8 workbook (see its README)


def reconciled(result) -> None:
    """Every row of every file is staged or quarantined, and the report says so."""
    staged = Counter(result.staged.column("source_file").to_pylist())
    quarantined = Counter(result.quarantined.column("source_file").to_pylist())
    for f in result.files:
        assert (
            f["rows_read"] == f["staged"] + f["quarantined"] == staged[f["source_file"]] + quarantined[f["source_file"]]
        )


def staged(result, *columns: str) -> list[tuple]:
    return [tuple(r[c] for c in columns) for r in result.staged.to_pylist()]


def errors(result) -> dict[str, str]:
    return {f["source_file"]: f["error"] for f in result.files if f["error"]}


def folder(root: Path, kind: str) -> Path:
    (root / kind).mkdir(parents=True, exist_ok=True)
    return root / kind


def delimited(rows: list[list[str]], delimiter: str) -> str:
    return "\r\n".join(delimiter.join(_quoted(c) for c in row) for row in rows) + "\r\n"


def _quoted(cell: str) -> str:
    return f'"{cell}"' if any(d in cell for d in ",;\t") else cell
