"""Salesperson spreadsheets: one file per salesperson (.xlsx or .csv), each with its own layout.

The header row is found below any title rows and mapped by synonyms (sources/synonyms.py). Date
columns decide day/month order from their own values; a value that stays ambiguous is left null
with a quality flag rather than guessed.

Nothing in a row is dropped: a repeated column is read too (a second phone is a second phone; a
second, different name or email is flagged <field>_conflict and kept in notes with its header),
and so are columns no synonym knows (kept in notes, listed in the file report).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

from sources.formats import file_head, has_workbook_signature, is_zip
from sources.formulas import UnevaluatedFormula, uncached_formulas, with_formulas
from sources.layouts import read_sheet_layout
from sources.reading import FileResult, UnreadableFile, clean_cell, csv_rows
from sources.standardise import consent
from sources.standardise.consent import parse_yes_no
from sources.standardise.dates import infer_day_month_order, is_ambiguous_day_month, parse_date
from sources.synonyms import NAME_FIELDS, header_columns, is_usable_header, map_header, unmapped_name_columns

HEADER_SEARCH_ROWS = 10  # title rows above the header are rare and short
DATE_FIELDS = ("birth_date", "last_contact", "consent_expires")
NO_HEADER = "no recognisable header row (needs a name, phone, email or WeChat column and one more known column)"
UNKNOWN_NAME_COLUMNS = "no known name column; these look like names but no synonym maps them (sources/synonyms.py):"
# fields that hold several values: repeated columns add up (phones.py splits phones on " / ")
MULTI_VALUE_FIELDS = {"phone": " / ", "notes": "; "}
# of two consent columns that disagree, the one that says no is kept (as for any consent signal)
LEAST_PERMISSIVE = {
    "marketing_consent": False,
    "email_consent": False,
    "sms_consent": False,
    "do_not_contact": True,
    "do_not_call": True,
}
# consent column -> (the channel it speaks for, whether a yes refuses)
CONSENT_COLUMNS = {
    "marketing_consent": (consent.ALL, False),
    "email_consent": ("email", False),
    "sms_consent": ("sms", False),
    "do_not_contact": (consent.ALL, True),
    "do_not_call": ("phone", True),
}
# a street address kept in parts (number, street, second line): one address_line, in this order
ADDRESS_PARTS = ("street_number", "address_line", "address_line_2")
FORMULA_NOT_EVALUATED = "formula_not_evaluated"


def read_sales_file(path: Path, result: FileResult) -> None:
    salesperson = path.stem
    readable = [_read_sheet(grid, sheet, salesperson, result) for sheet, grid in _sheets(path)]
    if not any(readable):
        named = [q["reason"] for q in result.quarantined if not q["source_row"] and UNKNOWN_NAME_COLUMNS in q["reason"]]
        result.reject_file("; ".join(named) or NO_HEADER)


def _sheets(path: Path):
    """(sheet name, rows) for every sheet; CSV files have one unnamed sheet."""
    if not has_workbook_signature(path):  # by content: an .xls a back-office wrote as text is text
        yield "", csv_rows(path.read_bytes())
        return
    # calamine (Rust) reads cell values a hundred times faster than openpyxl's XML parse
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        # {} for nearly every workbook, after one cheap scan (of .xlsx XML: an .xls has none)
        formulas = uncached_formulas(path) if is_zip(file_head(path)) else {}
        sheets = [(name, _grid(workbook, name, formulas.get(name))) for name in workbook.sheet_names]
    except CalamineError as exc:
        raise UnreadableFile(
            f"not a readable .xlsx workbook (corrupt, truncated or password-protected): {exc}"
        ) from exc
    yield from sheets


def _grid(workbook, name: str, formulas: dict | None) -> list[list]:
    sheet = workbook.get_sheet_by_name(name)
    if not formulas:
        return sheet.to_python()
    return with_formulas(sheet.to_python(skip_empty_area=False), formulas)  # from A1, as formulas are placed


def find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapping = map_header(row)
        if is_usable_header(mapping):
            return index, mapping
    return None


def _read_sheet(grid: list[list], sheet: str, salesperson: str, result: FileResult) -> bool:
    """Stage a sheet's rows; False when it has no header we can read."""
    if read_sheet_layout(grid, sheet, salesperson, result):
        return True  # a CRM's contacts or a platform's export, known by its header (sources/layouts/)
    found = find_header(grid)
    if found is None:
        if any(any(clean_cell(c) for c in row) for row in grid):
            result.quarantine(sheet, 0, f"sheet {sheet!r}: {NO_HEADER}", {"sheet": sheet})
        return False
    header_index, mapping = found
    header = grid[header_index]
    body = grid[header_index + 1 :]
    unnamed = unmapped_name_columns(header)
    if unnamed and not NAME_FIELDS & mapping.keys():  # its names would be lost: refuse, never stage them nameless
        reason = f"sheet {sheet!r}: {UNKNOWN_NAME_COLUMNS} {unnamed}"
        result.quarantine(sheet, 0, reason, {"sheet": sheet, "columns": unnamed})
        return False
    columns = header_columns(header)
    labels = column_labels(header, max((len(row) for row in body), default=0))
    orders = {f: infer_day_month_order(_column(body, mapping[f])) for f in DATE_FIELDS if f in mapping}
    for offset, row in enumerate(body, start=1):
        if not any(clean_cell(c) for c in row):
            continue  # blank spacer rows are not records
        raw = {labels[i]: clean_cell(v) for i, v in enumerate(row)}
        record = _record(row, columns, labels, orders, salesperson)
        if unnamed:  # a name is mapped, another name-like column is only kept in notes
            record["quality_flags"] = ";".join(filter(None, (record["quality_flags"], "name_column_unmapped")))
        result.stage(sheet, offset, record, raw)
    read = {i for indexes in columns.values() for i in indexes}
    unread = [labels[i] for i in range(len(labels)) if i not in read and any(clean_cell(v) for v in _column(body, i))]
    result.unmapped_columns += [label for label in unread if label not in result.unmapped_columns]
    return True


def column_labels(header: list, width: int) -> list[str]:
    """One unique label per column: its header, `联系电话 (2)` for a repeat, `col7` without a header."""
    labels: list[str] = []
    seen: Counter[str] = Counter()
    for i in range(max(width, len(header))):
        label = (clean_cell(header[i]) if i < len(header) else None) or f"col{i + 1}"
        seen[label] += 1
        labels.append(f"{label} ({seen[label]})" if seen[label] > 1 else label)
    return labels


def _column(body: list[list], index: int) -> list:
    return [row[index] for row in body if index < len(row) and row[index] is not None]


def _cell(row: list, index: int | None):
    return row[index] if index is not None and index < len(row) else None


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


def _record(row: list, columns: dict[str, list[int]], labels: list[str], orders: dict, salesperson: str) -> dict:
    flags: list[str] = []
    text, source, kept = row_fields(row, columns, labels, flags)
    text["notes"] = "; ".join(([text["notes"]] if text.get("notes") else []) + kept) or None
    birth = _date_field(_cell(row, source.get("birth_date")), orders.get("birth_date"), "birth_date", flags)
    contact = _date_field(_cell(row, source.get("last_contact")), orders.get("last_contact"), "last_contact", flags)
    until = _date_field(
        _cell(row, source.get("consent_expires")), orders.get("consent_expires"), "consent_expires", flags
    )
    return {
        "source_system": "sales",
        "salesperson": salesperson,
        "event_at": datetime.combine(contact, datetime.min.time()) if contact else None,
        "full_name": text.get("full_name"),
        "given_name": text.get("given_name"),
        "family_name": text.get("family_name"),
        "phone": text.get("phone"),
        "email": text.get("email"),
        "wechat": text.get("wechat"),
        "birth_date": birth.isoformat() if birth else None,
        "company": text.get("company"),
        "city": text.get("city"),
        "district": text.get("district"),
        "province": text.get("province"),
        "postcode": text.get("postcode"),
        "country": text.get("country"),
        "national_id": text.get("national_id"),
        "address_line": " ".join(filter(None, (text.get(f) for f in ADDRESS_PARTS))) or None,
        "gender": text.get("gender"),
        "notes": text.get("notes"),
        "consent": sales_consent(text, datetime.combine(until, datetime.min.time()) if until else None),
        "quality_flags": ";".join(flags) or None,
    }


def row_fields(
    row: list, columns: dict[str, list[int]], labels: list[str], flags: list[str]
) -> tuple[dict, dict, list]:
    """(field -> text, field -> the column its text came from, `header: value` notes of the rest).

    A multi-value field joins the distinct values of its columns; a one-value field keeps its first
    (for consent: its least permissive) and flags <field>_conflict when another column disagrees.
    What no field holds (a disagreeing value, a column no synonym knows, a formula nobody computed)
    is kept as a note with its header, so nothing in the row is lost."""
    text: dict[str, str] = {}
    source: dict[str, int] = {}
    kept: list[str] = []
    for fld, indexes in columns.items():
        values = _distinct_values(row, indexes, labels, flags, kept)
        if not values:
            continue
        if fld in MULTI_VALUE_FIELDS:
            text[fld] = MULTI_VALUE_FIELDS[fld].join(value for _, value in values)
        else:
            wanted = LEAST_PERMISSIVE.get(fld)
            if wanted is not None:
                values.sort(key=lambda v: parse_yes_no(v[1]) is not wanted)  # stable: else the first column
            text[fld] = values[0][1]
            if len(values) > 1:
                flags.append(f"{fld}_conflict")
                kept += [f"{labels[i]}: {value}" for i, value in values[1:]]
        source[fld] = values[0][0]
    read = {i for indexes in columns.values() for i in indexes}
    for i, cell in enumerate(row):
        value = None if i in read else clean_cell(cell)
        if value is not None:
            kept.append(f"{labels[i]}: {value}")
            _flag_formula(cell, flags)
    return text, source, kept


def _distinct_values(row: list, indexes: list[int], labels: list[str], flags: list[str], kept: list[str]) -> list:
    """(column, text) of a field's non-empty cells, one per value (case and spacing aside)."""
    values: dict[str, tuple[int, str]] = {}
    for i in indexes:
        cell = _cell(row, i)
        value = clean_cell(cell)
        if value is None:
            continue
        if _flag_formula(cell, flags):
            kept.append(f"{labels[i]}: {value}")  # the formula, not a value for the field
            continue
        values.setdefault(" ".join(value.casefold().split()), (i, value))
    return list(values.values())


def _flag_formula(cell, flags: list[str]) -> bool:
    if not isinstance(cell, UnevaluatedFormula):
        return False
    if FORMULA_NOT_EVALUATED not in flags:
        flags.append(FORMULA_NOT_EVALUATED)
    return True


def sales_consent(text: dict, expires: datetime | None = None) -> str | None:
    """A row's consent statements: its consent columns (an opt-in until `expires`, the sheet's
    'consent valid until' column) and the opt-out requests in its notes. The statements are dated
    by the row's last contact; which of them stands is the least-permissive rule's (linkage/consent.py)."""
    statements = []
    for field, (channel, refuses) in CONSENT_COLUMNS.items():
        found = consent.yes_no_statement(channel, text.get(field), refuses=refuses)
        if found and found.kind == "opt_in" and expires:
            found = consent.Statement(found.channel, found.kind, found.at, expires)
        statements.append(found)
    return consent.joined([*statements, *consent.text_statements(text.get("notes"))])
