"""Salesperson spreadsheets: one file per salesperson (.xlsx or .csv), each with its own layout.

The header row is found below any title rows and mapped by synonyms (sources/synonyms.py). Date
columns decide day/month order from their own values; a value that stays ambiguous is left null
with a quality flag rather than guessed.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sources.reading import FileResult, UnreadableFile, clean_cell, csv_rows
from sources.standardise.consent import mentions_opt_out, parse_yes_no
from sources.standardise.dates import infer_day_month_order, is_ambiguous_day_month, parse_date
from sources.synonyms import is_usable_header, map_header

HEADER_SEARCH_ROWS = 10  # title rows above the header are rare and short
DATE_FIELDS = ("birth_date", "last_contact")
NO_HEADER = "no recognisable header row (needs a name, phone, email or WeChat column and one more known column)"


def read_sales_file(path: Path, result: FileResult) -> None:
    salesperson = path.stem
    readable = [_read_sheet(grid, sheet, salesperson, result) for sheet, grid in _sheets(path)]
    if not any(readable):
        result.reject_file(NO_HEADER)


def _sheets(path: Path):
    """(sheet name, rows) for every sheet; CSV files have one unnamed sheet."""
    if path.suffix.lower() == ".csv":
        yield "", csv_rows(path.read_bytes())
        return
    # calamine (Rust) reads cell values a hundred times faster than openpyxl's XML parse
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = [(name, workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]
    except CalamineError as exc:
        raise UnreadableFile(f"not a readable .xlsx workbook (corrupt, truncated or password-protected): {exc}") from exc
    yield from sheets


def find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapping = map_header(row)
        if is_usable_header(mapping):
            return index, mapping
    return None


def _read_sheet(grid: list[list], sheet: str, salesperson: str, result: FileResult) -> bool:
    """Stage a sheet's rows; False when it has no header we can read."""
    found = find_header(grid)
    if found is None:
        if any(any(clean_cell(c) for c in row) for row in grid):
            result.quarantine(sheet, 0, f"sheet {sheet!r}: {NO_HEADER}", {"sheet": sheet})
        return False
    header_index, mapping = found
    header = grid[header_index]
    body = grid[header_index + 1 :]
    orders = {f: infer_day_month_order(_column(body, mapping[f])) for f in DATE_FIELDS if f in mapping}
    for offset, row in enumerate(body, start=1):
        if not any(clean_cell(c) for c in row):
            continue  # blank spacer rows are not records
        raw = {str(header[i] if i < len(header) and header[i] else f"col{i + 1}"): clean_cell(v) for i, v in enumerate(row)}
        result.stage(sheet, offset, _record(row, mapping, orders, salesperson), raw)
    return True


def _column(body: list[list], index: int) -> list:
    return [row[index] for row in body if index < len(row) and row[index] is not None]


def _cell(row: list, mapping: dict[str, int], fld: str):
    index = mapping.get(fld)
    if index is None or index >= len(row):
        return None
    return row[index]


def _date_field(value, order: str | None, name: str, flags: list[str]) -> date | None:
    if clean_cell(value) is None:
        return None
    if isinstance(value, str) and order is None and is_ambiguous_day_month(value):
        flags.append(f"{name}_ambiguous")
        return None
    parsed = parse_date(value, order)
    if parsed is None:
        flags.append(f"{name}_unparsed")
    return parsed


def _record(row: list, mapping: dict[str, int], orders: dict, salesperson: str) -> dict:
    flags: list[str] = []
    text = {f: clean_cell(_cell(row, mapping, f)) for f in mapping}
    birth = _date_field(_cell(row, mapping, "birth_date"), orders.get("birth_date"), "birth_date", flags)
    contact = _date_field(_cell(row, mapping, "last_contact"), orders.get("last_contact"), "last_contact", flags)
    return {
        "source_system": "sales",
        "salesperson": salesperson,
        "event_at": datetime.combine(contact, datetime.min.time()) if contact else None,
        "full_name": text.get("full_name"),
        "phone": text.get("phone"),
        "email": text.get("email"),
        "wechat": text.get("wechat"),
        "birth_date": birth.isoformat() if birth else None,
        "company": text.get("company"),
        "city": text.get("city"),
        "address_line": text.get("address_line"),
        "gender": text.get("gender"),
        "notes": text.get("notes"),
        "marketing_opt_out": sales_opt_out(text),
        "quality_flags": ";".join(flags) or None,
    }


def sales_opt_out(text: dict) -> bool | None:
    """Least permissive reading of a row's consent: any 'no' wins over silence or 'yes'."""
    consent = parse_yes_no(text.get("marketing_consent"))
    do_not_contact = parse_yes_no(text.get("do_not_contact"))
    if consent is False or do_not_contact is True or mentions_opt_out(text.get("notes")):
        return True
    if consent is True:
        return False
    return None
