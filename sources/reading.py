"""What every reader shares: the result of reading one file, encodings, CSV rows, fingerprints.

A reader turns one file into staged records (dicts with STAGED_COLUMNS keys) and quarantined
rows; a file it cannot read at all becomes one quarantined row with source_row 0. Nothing is
dropped silently: rows_read == staged_rows + len(quarantined) for row-level results. Staged
records become Arrow batches of STAGE_BATCH_ROWS as they come (`records` holds the batch being
filled), so a reader of a file of millions of rows holds one batch of dicts, not the file's.

A stray NUL or undecodable byte costs only its row: text is decoded with such bytes read as
BAD_BYTE, and FileResult.stage quarantines any row that holds one.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from sources.delimited import delimiter_of, utf16_text
from sources.schema import STAGED_COLUMNS, STAGED_SCHEMA
from sources.standardise import consent

# A row that names nobody cannot be linked to anyone; it is quarantined instead of staged.
IDENTIFYING_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "phone",
    "email",
    "wechat",
    "external_id",
    "national_id",
)
NAMES_NOBODY = "no name, phone, email, WeChat or id to identify a person (placeholders and punctuation do not count)"

# What a NUL or an undecodable byte reads as; a row holding one cannot be trusted and is quarantined.
BAD_BYTE = "\x00"
BAD_BYTE_ERRORS = "unify_bad_byte"  # the decode error handler that writes BAD_BYTE
codecs.register_error(BAD_BYTE_ERRORS, lambda exc: (BAD_BYTE, exc.end))
HOLDS_BAD_BYTE = "row holds a NUL or undecodable byte (shown as U+FFFD in raw)"
STAGE_BATCH_ROWS = 50_000  # staged dicts held at once per file: a million of them take gigabytes


class UnreadableFile(Exception):
    """The whole file cannot be read: the message is the reason staff will see."""


@dataclass
class FileResult:
    source_file: str  # relative to the sources folder, forward slashes (a mapping's data file)
    origin: str  # the file that was read (for mapped sources: the YAML mapping)
    source_format: str  # e.g. tmall, shopify, sales_sheet, call_center, helpdesk, mapped:<name>
    fingerprint: str
    records: list[dict] = field(default_factory=list)  # the staged records not yet in staged_batches
    quarantined: list[dict] = field(default_factory=list)
    error: str | None = None  # set when the whole file was rejected

    unmapped_columns: list[str] = field(default_factory=list)  # header labels of non-empty columns no field reads
    staged_batches: list[pa.Table] = field(default_factory=list)

    @property
    def staged_rows(self) -> int:
        return sum(batch.num_rows for batch in self.staged_batches) + len(self.records)

    @property
    def rows_read(self) -> int:
        return self.staged_rows + len(self.quarantined)

    def staged_table(self) -> pa.Table:
        """Every staged record of the file, in the order staged."""
        return pa.concat_tables([*self.staged_batches, pa.Table.from_pylist(self.records, schema=STAGED_SCHEMA)])

    def stage(self, sheet: str, row: int, record: dict, raw) -> None:
        """Stage a record, or quarantine its raw row when it holds a bad byte or names nobody."""
        if holds_bad_byte(raw):
            self.quarantine(sheet, row, HOLDS_BAD_BYTE, raw)
            return
        if not any(meaningful(record.get(f)) for f in IDENTIFYING_FIELDS):
            self.quarantine(sheet, row, NAMES_NOBODY, raw)
            return
        staged = dict.fromkeys(STAGED_COLUMNS)
        staged.update(record)
        staged.update(source_file=self.source_file, source_sheet=sheet, source_row=row)
        # a reader states consent per channel, or (a mapped column) as one yes/no for all marketing
        staged["consent"] = staged["consent"] or consent.general(staged["marketing_opt_out"])
        staged["marketing_opt_out"] = consent.summary(staged["consent"])
        self.records.append(staged)
        if len(self.records) >= STAGE_BATCH_ROWS:
            self.staged_batches.append(pa.Table.from_pylist(self.records, schema=STAGED_SCHEMA))
            self.records.clear()

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
        self.staged_batches.clear()
        self.quarantined.clear()
        self.unmapped_columns.clear()
        self.error = reason
        self.quarantine("", 0, reason, {"file": self.source_file})


# Texts that mean "nothing here" in real exports, compared NFKC-folded and lower-cased.
PLACEHOLDER_TEXTS = frozenset(
    "无 暂无 没有 未知 不详 不知道 空 未填 未填写 未提供 无名 匿名 na none null nil nan unknown tbd x xx xxx".split()
)


def meaningful(value) -> bool:
    """Whether a value can say who someone is: not blank, not a placeholder (无, 暂无, 未知, N/A), not
    only punctuation or symbols (-, /, ?, ***, @, ;;;;), not only zeros (0, 00000000000).

    The one rule of what counts as present in IDENTIFYING_FIELDS. A masked phone (138****5678) keeps
    its digits and counts; whether it can link is the phone standardiser's business."""
    return value is not None and _meaningful_text(str(value))


@lru_cache(maxsize=200_000)
def _meaningful_text(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    # punctuation, symbols, separators and controls identify nobody
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")
    return kept.strip("0") != "" and folded not in PLACEHOLDER_TEXTS and kept not in PLACEHOLDER_TEXTS


def holds_bad_byte(raw) -> bool:
    """Whether a raw row (a dict, a list of cells or a line) holds a NUL or an undecodable byte."""
    if isinstance(raw, str):
        return BAD_BYTE in raw
    cells = raw.values() if isinstance(raw, dict) else raw
    return any(isinstance(c, str) and BAD_BYTE in c for c in cells)


def raw_json(raw) -> str:
    if holds_bad_byte(raw):
        raw = _visible(raw)
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, default=str)


def _visible(raw):
    """Bad bytes as U+FFFD: a database text column cannot hold NUL, and staff can see where it was."""
    if isinstance(raw, str):
        return raw.replace(BAD_BYTE, "\ufffd")
    if isinstance(raw, dict):
        return {k: _visible(v) if isinstance(v, str) else v for k, v in raw.items()}
    return [_visible(c) if isinstance(c, str) else c for c in raw]


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes) -> str:
    """Decode a text export whose encoding is not declared: UTF-8 (BOM or not), else GB18030.

    A few undecodable bytes in an otherwise good export read as BAD_BYTE, so that only their rows
    are quarantined; many mean another encoding, which charset_normalizer guesses."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", BAD_BYTE_ERRORS)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, the encodings Chinese platforms export.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    # UTF-8 first: GBK text is almost never valid UTF-8, while UTF-8 text often passes as GB18030 pairs
    for encoding in ("utf-8", "gb18030"):
        nearly = data.decode(encoding, BAD_BYTE_ERRORS)
        if nearly.count(BAD_BYTE) - data.count(b"\x00") <= max(3, len(data) // 1000):
            return nearly
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("not a text file in any known encoding (binary or corrupt)")
    return str(best)


# how files that are never a text export begin: PNG, JPEG, GIF, PDF, zip (xlsx, docx), OLE (xls), gzip, 7z, rar
BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
)
_TEXT_BYTES = bytes(b for b in range(256) if b in (9, 10, 13) or b >= 32)


def looks_binary(data: bytes) -> bool:
    """Whether a file is not text at all (an image, an archive, a workbook renamed .csv);
    a few stray NULs in a text export are not binary, they cost only their rows."""
    sample = data[:4096]
    if sample.startswith(BINARY_SIGNATURES):
        return True
    controls = len(sample.translate(None, _TEXT_BYTES))
    return controls * 20 > len(sample)  # over 5% control bytes: text has next to none


def header_cells(row: list[str]) -> list[str]:
    """A header row's labels as the readers compare them: trimmed, without a byte-order mark."""
    return [cell.strip().lstrip("\ufeff") for cell in row]


def csv_rows(data: bytes) -> list[list[str]]:
    """All rows of a CSV export as lists of strings (no type guessing: order numbers stay exact);
    comma-, tab- or semicolon-separated, or Excel's UTF-16 "Unicode text" (sources/delimited.py)."""
    return list(csv_row_stream(data))


def csv_row_stream(data: bytes) -> Iterator[list[str]]:
    """csv_rows one row at a time: an export of millions of rows is never held as lists of cells.
    A binary file is refused here; a malformed row raises UnreadableFile when it is reached."""
    text = utf16_text(data)
    if text is None:
        if looks_binary(data):
            raise UnreadableFile("binary content where a CSV text file was expected")
        text = decode_text(data)
    return _parsed_rows(text)


# a line with its ending, as a file opened with newline="" gives them (\r\n, \r or \n); the
# lines are cut from the text one at a time (io.StringIO would copy it at four bytes a character)
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _parsed_rows(text: str) -> Iterator[list[str]]:
    lines = (match.group() for match in LINE.finditer(text))
    try:
        yield from csv.reader(lines, delimiter=delimiter_of(text))
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}") from exc


@dataclass(frozen=True)
class BadLine:
    """A JSON line that is not a record: why not, and the line as read (it goes to quarantine)."""

    reason: str
    line: str


def json_lines(text: str) -> Iterator[dict | BadLine]:
    """The non-empty lines of a JSON-lines export, each an object or a BadLine: one bad line costs one
    line. One at a time: the objects of a file of millions of lines are not held together."""
    return (_json_object(line) for line in text.splitlines() if line.strip())


def _json_object(line: str) -> dict | BadLine:
    if BAD_BYTE in line:
        return BadLine(HOLDS_BAD_BYTE, line)
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})", line)
    return value if isinstance(value, dict) else BadLine("JSON line is not an object", line)


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


def row_by_header(header: list[str], row: list, clean=lambda v: v) -> dict:
    """A row as {header: value}. A header written twice keeps both cells: their distinct values
    are joined with ' / ' (a second phone is a second phone), never silently overwritten."""
    found: dict = {}
    for name, value in zip(header, row):
        value = clean(value)
        if name not in found or found[name] in (None, ""):
            found[name] = value
        elif value not in (None, "") and str(value) not in str(found[name]).split(" / "):
            found[name] = f"{found[name]} / {value}"
    return found
