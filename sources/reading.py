"""What every reader shares: the result of reading one file, encodings, CSV rows, fingerprints.

A reader turns one file into staged records (dicts with STAGED_COLUMNS keys) and quarantined
rows; a file it cannot read at all becomes one quarantined row with source_row 0. Nothing is
dropped silently: rows_read == len(records) + len(quarantined) for row-level results.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from sources.schema import STAGED_COLUMNS

# A row that names nobody cannot be linked to anyone; it is quarantined instead of staged.
IDENTIFYING_FIELDS = ("full_name", "given_name", "family_name", "phone", "email", "wechat", "external_id", "national_id")


class UnreadableFile(Exception):
    """The whole file cannot be read: the message is the reason staff will see."""


@dataclass
class FileResult:
    source_file: str  # relative to the sources folder, forward slashes (a mapping's data file)
    origin: str  # the file that was read (for mapped sources: the YAML mapping)
    source_format: str  # e.g. tmall, shopify, sales_sheet, call_center, helpdesk, mapped:<name>
    fingerprint: str
    records: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    error: str | None = None  # set when the whole file was rejected

    @property
    def rows_read(self) -> int:
        return len(self.records) + len(self.quarantined)

    def stage(self, sheet: str, row: int, record: dict, raw) -> None:
        """Stage a record, or quarantine its raw row when nothing in it identifies a person."""
        if not any(_present(record.get(f)) for f in IDENTIFYING_FIELDS):
            self.quarantine(sheet, row, "no name, phone, email, WeChat or id to identify a person", raw)
            return
        staged = dict.fromkeys(STAGED_COLUMNS)
        staged.update(record)
        staged.update(source_file=self.source_file, source_sheet=sheet, source_row=row)
        self.records.append(staged)

    def quarantine(self, sheet: str, row: int, reason: str, raw) -> None:
        self.quarantined.append(
            {
                "source_file": self.source_file,
                "source_sheet": sheet,
                "source_row": row,
                "reason": reason,
                "raw": raw_json(raw),
            }
        )

    def reject_file(self, reason: str) -> None:
        """The whole file is unusable: drop anything partly read and keep one row-0 entry."""
        self.records.clear()
        self.quarantined.clear()
        self.error = reason
        self.quarantine("", 0, reason, {"file": self.source_file})


def _present(value) -> bool:
    return value is not None and str(value).strip() != ""


def raw_json(raw) -> str:
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, default=str)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes) -> str:
    """Decode a text export whose encoding is not declared: UTF-8 (BOM or not), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, the encodings Chinese platforms export.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("not a text file in any known encoding (binary or corrupt)")
    return str(best)


def looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" in sample


def csv_rows(data: bytes) -> list[list[str]]:
    """All rows of a CSV export as lists of strings (no type guessing: order numbers stay exact)."""
    if looks_binary(data):
        raise UnreadableFile("binary content where a CSV text file was expected")
    text = decode_text(data)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}") from exc


NULL_TEXTS = frozenset({"", "nan", "none", "null", "n/a", "-", "NaN", "None", "NULL", "N/A"})


def clean_cell(value) -> str | None:
    """A cell as a stripped string; blanks and spreadsheet nulls become None."""
    if value is None:
        return None
    if value.__class__ is str:  # the hot path: most cells are text
        text = value.strip()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a phone or serial stored as a number
    else:
        text = str(value).strip()
    if text in NULL_TEXTS or (len(text) <= 4 and text.lower() in NULL_TEXTS):
        return None
    return text


def relative_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
