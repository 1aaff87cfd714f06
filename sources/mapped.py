"""Any other customer table, onboarded without code: `mapped/<name>.yaml` describes its data file.

A wrong mapping (unknown canonical field, a column the file does not have, an unknown encoding)
rejects that source with a reason naming the field and the file; other files still load.
"""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path, PurePosixPath

import yaml

from sources.reading import (
    BAD_BYTE_ERRORS, BadLine, FileResult, UnreadableFile, clean_cell, csv_rows, decode_text, json_lines,
)
from sources.schema import PERSON_FIELDS
from sources.standardise.consent import parse_yes_no
from sources.standardise.dates import parse_date

DATA_SUFFIXES = {".csv", ".xlsx", ".parquet", ".jsonl", ".json"}


def load_mapping(yaml_path: Path) -> dict:
    try:
        mapping = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"mapping {yaml_path.name} is not valid YAML: {exc}") from exc
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict) or not mapping.get("file"):
        raise UnreadableFile(f"mapping {yaml_path.name} needs 'file' and a 'columns' table")
    unknown = sorted(set(mapping["columns"]) - set(PERSON_FIELDS) - {"source_record_key", "event_at"})
    if unknown:
        raise UnreadableFile(f"mapping {yaml_path.name}: unknown canonical field(s) {', '.join(unknown)}")
    encoding = mapping.get("encoding", "auto")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise UnreadableFile(f"mapping {yaml_path.name}: unknown encoding '{encoding}'") from exc
    return mapping


def read_table(path: Path, encoding: str = "auto") -> list[dict | BadLine]:
    """Rows of a mapped data file as dicts of strings (or native cell values for xlsx/parquet); a
    JSON line that is not a record is a BadLine, quarantined on its own."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = path.read_bytes()
        if encoding != "auto":
            data = data.decode(encoding, BAD_BYTE_ERRORS).encode("utf-8")  # a bad byte costs its row
        rows = csv_rows(data)
        header = [c.strip().lstrip("\ufeff") for c in rows[0]] if rows else []
        return [dict(zip(header, row)) for row in rows[1:]]
    if suffix in {".jsonl", ".json"}:
        return json_lines(decode_text(path.read_bytes()))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if suffix == ".xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        header = [str(c).strip() if c is not None else "" for c in rows[0]] if rows else []
        return [dict(zip(header, row)) for row in rows[1:]]
    raise UnreadableFile(f"unsupported data file type '{suffix}' (use {', '.join(sorted(DATA_SUFFIXES))})")


def read_mapped_source(yaml_path: Path, result: FileResult) -> None:
    """Read the data file a mapping describes; lineage points at the data file, not the YAML."""
    mapping = load_mapping(yaml_path)
    data_path = yaml_path.parent / mapping["file"]
    if not data_path.is_file():
        raise UnreadableFile(f"mapping {yaml_path.name}: data file '{mapping['file']}' not found")
    result.source_file = (PurePosixPath(result.source_file).parent / mapping["file"]).as_posix()
    rows = read_table(data_path, mapping.get("encoding", "auto"))
    columns: dict[str, str] = mapping["columns"]
    first = next((row for row in rows if not isinstance(row, BadLine)), None)
    missing = sorted(f"{fld} -> '{col}'" for fld, col in columns.items() if first is not None and col not in first)
    if missing:
        raise UnreadableFile(f"mapping {yaml_path.name}: column(s) not in {mapping['file']}: {', '.join(missing)}")
    system = str(mapping.get("source_system") or yaml_path.stem)
    date_format = mapping.get("date_format")
    for number, row in enumerate(rows, start=1):
        if isinstance(row, BadLine):
            result.quarantine("", number, row.reason, row.line)
            continue
        result.stage("", number, _mapped_record(row, columns, system, date_format), row)


def _mapped_record(row: dict, columns: dict[str, str], system: str, date_format: str | None) -> dict:
    record = {fld: clean_cell(row.get(col)) for fld, col in columns.items()}
    record["source_system"] = system
    flags = []
    if record.get("birth_date"):
        birth = _parse_mapped_date(record["birth_date"], date_format)
        if birth is None:
            flags.append("birth_date_unparsed")
        record["birth_date"] = birth.isoformat() if birth else None
    if "marketing_opt_out" in record:
        record["marketing_opt_out"] = parse_yes_no(record["marketing_opt_out"])
    if record.get("event_at"):
        event = _parse_mapped_date(record["event_at"], date_format)
        record["event_at"] = datetime.combine(event, datetime.min.time()) if event else None
    record["quality_flags"] = ";".join(flags) or None
    return record


def _parse_mapped_date(value: str, date_format: str | None):
    if date_format:
        try:
            return datetime.strptime(value, date_format).date()
        except ValueError:
            return None
    return parse_date(value)
