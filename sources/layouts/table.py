"""Reading one table (CSV rows or a worksheet's grid) with the layout its header matches.

The header is searched in the first rows (a title row above it is fine); data rows are numbered
from 1 after it, blank rows keep their number but are not records, and a row whose cells do not
line up with the header is quarantined with the reason.
"""

from __future__ import annotations

from sources.layouts.common import Layout, Row, cell, column_key
from sources.reading import FileResult, UnreadableFile

HEADER_SEARCH_ROWS = 10


def locate(grid: list[list], layouts: tuple[Layout, ...]) -> tuple[int, Layout] | None:
    """(row index of the header, its layout) for the first header row a layout matches."""
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = {column_key(c) for c in row if cell(c) is not None}
        for layout in layouts:
            if layout.matches(keys):
                return index, layout
    return None


def read_table(
    grid: list[list], layouts: tuple[Layout, ...], result: FileResult, what: str, built_in: tuple[str, ...] = ()
) -> None:
    """Stage a CSV file's rows with the layout its header matches, or refuse it with the known layouts."""
    found = locate(grid, layouts)
    if found is None:
        raise UnreadableFile(unknown_layout(grid, what, built_in + tuple(layout.describe() for layout in layouts)))
    stage_table(grid, *found, result)


def unknown_layout(grid: list[list], what: str, known: tuple[str, ...]) -> str:
    header = next(([cell(c) for c in row] for row in grid if any(cell(c) for c in row)), [])
    return f"unrecognised {what}: header {header[:6]} matches none of the known layouts: {'; '.join(known)}"


def stage_table(
    grid: list[list],
    index: int,
    layout: Layout,
    result: FileResult,
    sheet: str = "",
    exact_width: bool = True,
    defaults: dict | None = None,
) -> None:
    """Stage every data row below the header at grid[index]; defaults fill fields the row left empty."""
    header = grid[index]
    keys = [column_key(c) for c in header]
    names = [cell(h) or f"col{i + 1}" for i, h in enumerate(header)]
    width = max((i + 1 for i, h in enumerate(header) if cell(h) is not None), default=0)
    result.source_format = layout.name
    for number, cells in enumerate(grid[index + 1 :], start=1):
        values = [cell(c) for c in cells]
        if not any(v is not None for v in values):
            continue  # blank spacer rows are not records
        raw = {names[i] if i < len(names) else f"col{i + 1}": v for i, v in enumerate(values)}
        problem = width_problem(values, width, exact_width)
        if problem:
            result.quarantine(sheet, number, problem, raw)
            continue
        record = {"source_system": layout.source_system, **layout.record(Row(keys, cells))}
        for fld, value in (defaults or {}).items():
            if record.get(fld) is None:
                record[fld] = value
        result.stage(sheet, number, record, raw)


def width_problem(values: list, width: int, exact_width: bool) -> str | None:
    """Why a row does not line up with its header: values beyond it, or (CSV) missing fields."""
    if any(v is not None for v in values[width:]) or (exact_width and len(values) < width):
        return f"row has {len(values)} fields, header has {width}"
    return None
