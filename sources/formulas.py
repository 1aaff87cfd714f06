"""Formula cells without a cached value: a workbook written by a script and never opened in Excel.

calamine reads cached values only, so such a cell reads as empty. Where the formula is a plain
value (`=13200132000`, `="138 0013 8000"`) its literal is the cell's value; any other formula
becomes an UnevaluatedFormula, which the reader notes and flags instead of reading it as empty.
Nearly every workbook has none: one scan of its sheet XML decides, and only then is the slower
openpyxl read paid for.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

# <c r="B2"><f>13200132000</f><v /></c>: a formula and no cached value (a cached empty text result
# is t="str"; it is a value, and not counted)
_UNCACHED_RE = re.compile(
    rb'<c\b(?![^>]*\bt="str")[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)
_NUMBER_RE = re.compile(r"^=\s*([+-]?\d+(?:\.\d+)?)\s*$")
_TEXT_RE = re.compile(r'^=\s*"((?:[^"]|"")*)"\s*$')


class UnevaluatedFormula(str):
    """A formula cell whose value nobody computed: its text is the formula (`=A2&B2`), never a value."""


def formula_literal(formula: str) -> str | None:
    """The value a formula spells out (`=13200132000`, `="138 0013 8000"`), or None when it computes one."""
    number = _NUMBER_RE.match(formula)
    if number:
        return number.group(1)
    text = _TEXT_RE.match(formula)
    return text.group(1).replace('""', '"') if text else None


def has_uncached_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        return any(_UNCACHED_RE.search(archive.read(n)) for n in parts)


def uncached_formulas(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name -> (row, column) from 0 at A1 -> formula text, for workbooks with uncached formulas;
    {} for the others. Formulas with cached values are listed too: the caller uses only empty cells."""
    if not has_uncached_formulas(path):
        return {}
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return {sheet.title: _formulas(sheet) for sheet in workbook.worksheets}
    finally:
        workbook.close()


def _formulas(sheet) -> dict[tuple[int, int], str]:
    cells = (cell for row in sheet.iter_rows() for cell in row if getattr(cell, "data_type", None) == "f")
    return {(cell.row - 1, cell.column - 1): str(getattr(cell.value, "text", cell.value)) for cell in cells}


def with_formulas(grid: list[list], formulas: dict[tuple[int, int], str]) -> list[list]:
    """A sheet's cells from A1 with each empty formula cell read as its literal, or as an
    UnevaluatedFormula; leading blank rows are dropped as calamine drops them."""
    for (r, c), formula in formulas.items():
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            literal = formula_literal(formula)
            row[c] = UnevaluatedFormula(formula) if literal is None else literal
    while grid and all(cell in ("", None) for cell in grid[0]):
        grid.pop(0)
    return grid
