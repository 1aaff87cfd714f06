"""File formats as merchants really have them: old and new Excel workbooks, delimited text, JSON.

A file's format is read from its first bytes, never from its name: an `.xls` that a back-office
wrote as tab-separated text is read as text, and a workbook saved as `.csv` as a workbook. Old
Excel (.xls, BIFF: what WPS and many Chinese back-offices still write) and new Excel (.xlsx) are
both read by calamine. A reader that wants rows of strings (shop/, service/) gets a workbook's
first sheet as the same rows its CSV path uses.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sources.delimited import utf16_text
from sources.reading import UnreadableFile, clean_cell, csv_row_stream, decode_text, header_cells

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other old Office files)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # .xlsx, .ods, and zip archives
WORKBOOK_PARTS = ("[Content_Types].xml", "mimetype")  # what makes a zip a workbook (OOXML, ODF)
SPREADSHEET_SUFFIXES = {".xls", ".xlsx"}
TEXT_TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_SIGNATURES)


def is_workbook(data: bytes) -> bool:
    """Whether bytes are an Excel workbook (old or new), judged by content."""
    if data.startswith(OLE_SIGNATURE):
        return True
    return is_zip(data) and _has_workbook_part(data)


def _has_workbook_part(source: bytes | Path) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return True  # a truncated workbook: calamine says what is wrong with it
    return any(part in names for part in WORKBOOK_PARTS)


def is_archive(data: bytes) -> bool:
    """Whether bytes are a zip archive of exports (a zip that is not a workbook)."""
    return is_zip(data) and not _has_workbook_part(data)


def is_archive_file(path: Path) -> bool:
    """is_archive for a file on disk, without reading all of it."""
    return is_zip(file_head(path)) and not _has_workbook_part(path)


def has_workbook_signature(path: Path) -> bool:
    """Whether a file begins as a workbook does (old or new Excel); anything else is read as text."""
    return file_head(path).startswith((OLE_SIGNATURE, *ZIP_SIGNATURES))


def is_table_export(data: bytes) -> bool:
    """Whether bytes that look binary are still a table: a workbook, or UTF-16 text."""
    return is_workbook(data) or utf16_text(data) is not None


def file_head(path: Path, size: int = 8) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def workbook_sheets(data: bytes) -> list[tuple[str, list[list]]]:
    """(sheet name, grid of native cell values) for every sheet of an .xls or .xlsx workbook."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [(name, workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]
    except (CalamineError, ValueError) as exc:
        kind = ".xls" if data.startswith(OLE_SIGNATURE) else ".xlsx"
        raise UnreadableFile(
            f"not a readable {kind} workbook (corrupt, truncated or password-protected): {exc}"
        ) from exc


def sheet_as_text(grid: list[list]) -> list[list[str]]:
    """A sheet's cells as the strings a CSV of it would hold: blanks empty, whole numbers without '.0'."""
    return [[clean_cell(value) or "" for value in row] for row in grid]


def export_rows(data: bytes) -> list[list[str]]:
    """Rows of strings from a CSV/TSV/UTF-16 text export or, for a workbook, from its first sheet."""
    return list(export_row_stream(data))


def export_row_stream(data: bytes) -> Iterator[list[str]]:
    """export_rows one row at a time (a text export is parsed as it is read)."""
    if is_workbook(data):
        sheets = workbook_sheets(data)
        return iter(sheet_as_text(sheets[0][1]) if sheets else [])
    return csv_row_stream(data)


def table_header(path: Path) -> list[str]:
    """The first row of a table file (text, workbook or the keys of a JSON file's first record), for
    telling which mapping claims it; [] when it has none or cannot be read."""
    try:
        data = path.read_bytes()
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":  # JSON lines, as service/ tells them
            return _json_keys(decode_text(data))
        first = next(export_row_stream(data), None)  # the first row only: an export may hold millions
    except (UnreadableFile, OSError, UnicodeDecodeError):
        return []
    return header_cells(first) if first is not None else []


def _json_keys(text: str) -> list[str]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        value = json.loads(first)
    except json.JSONDecodeError:
        return []
    return [str(key) for key in value] if isinstance(value, dict) else []
