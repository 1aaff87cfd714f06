"""Any other customer table, onboarded without code: `mapped/<name>.yaml` describes its data file.

The language a mapping is written in lives in sources/mapping_language.py. A mapping with a
`match` block also takes over files of its header in shop/, sales/ and service/ (read through
it instead of the folder's reader). A wrong mapping (unknown canonical field or key, a column
the file does not have, an unknown encoding) rejects that mapping's files with a reason naming
the field and the file; other files still load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from sources.formats import SPREADSHEET_SUFFIXES, TEXT_TABLE_SUFFIXES, is_workbook, table_header, workbook_sheets
from sources.mapping_language import (
    MISSING,
    Mapping,
    Match,
    build_record,
    lookup,
    parse_mapping,
    parse_match,
    unresolved,
)
from sources.reading import (
    BAD_BYTE_ERRORS,
    BadLine,
    FileResult,
    UnreadableFile,
    csv_rows,
    decode_text,
    fingerprint,
    header_cells,
    json_lines,
    row_by_header,
)

DATA_SUFFIXES = TEXT_TABLE_SUFFIXES | SPREADSHEET_SUFFIXES | {".parquet", ".jsonl", ".json"}


def load_mapping(yaml_path: Path) -> Mapping:
    return parse_mapping(_yaml_of(yaml_path), yaml_path.name, yaml_path.stem)


def _yaml_of(yaml_path: Path):
    try:
        return yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"mapping {yaml_path.name} is not valid YAML: {exc}") from exc


def read_table(path: Path, encoding: str = "auto", records: str | None = None) -> list[dict | BadLine]:
    """Rows of a mapped data file as dicts of strings (or native cell values for workbooks and
    parquet, nested values for JSON); a JSON record that is not an object is a BadLine, quarantined
    on its own. A workbook is told by its content, so an .xls written as tab-separated text reads too."""
    suffix = path.suffix.lower()
    if suffix in TEXT_TABLE_SUFFIXES | SPREADSHEET_SUFFIXES:
        data = path.read_bytes()
        if is_workbook(data):
            return _sheet_records(data)
        if encoding != "auto":
            data = data.decode(encoding, BAD_BYTE_ERRORS).encode("utf-8")  # a bad byte costs its row
        rows = csv_rows(data)
        header = header_cells(rows[0]) if rows else []
        return [row_by_header(header, row) for row in rows[1:]]
    if suffix in {".jsonl", ".json"}:
        return json_records(decode_text(path.read_bytes()), records)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    raise UnreadableFile(f"unsupported data file type '{suffix}' (use {', '.join(sorted(DATA_SUFFIXES))})")


def read_mapped_source(yaml_path: Path, result: FileResult) -> None:
    """Read the data file a mapping describes; lineage points at the data file, not the YAML. A
    mapping with only a `match` block has no file of its own: it is checked here, and reads the
    files it claims when their folders are read (read_claimed)."""
    mapping = load_mapping(yaml_path)
    if mapping.file is None:
        result.source_format = "mapping"
        return
    data_path = yaml_path.parent / mapping.file
    if not data_path.is_file():
        raise UnreadableFile(f"mapping {yaml_path.name}: data file '{mapping.file}' not found")
    result.source_file = sibling_name(result.source_file, mapping.file)
    stage_mapped_rows(mapping, data_path, mapping.file, result)


def sibling_name(name: str, file: str) -> str:
    """The lineage name of a file beside `name`: 'mapped/a.yaml' -> 'mapped/<file>', and inside a zip
    archive 'mapped/x.zip!a.yaml' -> 'mapped/x.zip!<file>'."""
    cut = max(name.rfind("/"), name.rfind("!")) + 1
    return name[:cut] + Path(file).as_posix()


def stage_mapped_rows(
    mapping: Mapping, data_path: Path, data_name: str, result: FileResult, defaults: dict | None = None
) -> None:
    """Stage every row of a data file through a mapping; `defaults` fill fields the mapping left empty."""
    rows = read_table(data_path, mapping.encoding, mapping.records)
    missing = unresolved(mapping, [row for row in rows if not isinstance(row, BadLine)])
    if missing:
        raise UnreadableFile(f"mapping {mapping.name}: column(s) not in {data_name}: {', '.join(missing)}")
    for number, row in enumerate(rows, start=1):
        if isinstance(row, BadLine):
            result.quarantine("", number, row.reason, row.line)
            continue
        record = build_record(mapping, row)
        for fld, value in (defaults or {}).items():
            if record.get(fld) is None:
                record[fld] = value
        result.stage("", number, record, row)


def _sheet_records(data: bytes) -> list[dict]:
    """The first sheet of a workbook (.xls or .xlsx) as dicts keyed by its first row."""
    sheets = workbook_sheets(data)
    rows = sheets[0][1] if sheets else []
    header = [str(c).strip() if c is not None else "" for c in rows[0]] if rows else []
    return [row_by_header(header, row) for row in rows[1:]]


def json_records(text: str, records: str | None = None) -> list[dict | BadLine]:
    """The records of a JSON file: one JSON document (a list of records, one record, or with
    `records: path` the list at that path inside it), else JSON lines, one record a line."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if records is not None:
            problem = f"{exc.msg} (line {exc.lineno})"
            raise UnreadableFile(f"'records: {records}' needs one JSON document: {problem}") from exc
        return list(json_lines(text))
    if records is not None:
        document = lookup(document, records) if isinstance(document, dict) else MISSING
        if not isinstance(document, list):
            raise UnreadableFile(f"'records: {records}' does not lead to a list of records in the JSON document")
    items = document if isinstance(document, list) else [document]
    not_object = "JSON record is not an object"
    return [item if isinstance(item, dict) else BadLine(not_object, json.dumps(item)) for item in items]


# ---------------------------------------------------------------- match: mappings that claim files by header


@dataclass(frozen=True)
class Claim:
    """A mapping with a `match` block; `error` when the rest of it is wrong (its files are rejected)."""

    yaml_path: Path
    match: Match
    mapping: Mapping | None
    error: str | None = None


def mapping_claims(root: Path) -> tuple[Claim, ...]:
    """The mappings in mapped/ with a `match` block, in name order (the first that claims a file wins)."""
    folder = Path(root) / "mapped"
    paths = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    return _claims(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in paths))


@lru_cache(maxsize=16)
def _claims(stamped: tuple[tuple[Path, int, int], ...]) -> tuple[Claim, ...]:
    return tuple(claim for claim in (_claim(path) for path, _, _ in stamped) if claim is not None)


def _claim(yaml_path: Path) -> Claim | None:
    try:
        raw = _yaml_of(yaml_path)
        match = parse_match(raw["match"], yaml_path.name) if isinstance(raw, dict) and raw.get("match") else None
    except UnreadableFile:
        return None  # the mapping's own read reports what is wrong; without a match it claims nothing
    if match is None:
        return None
    try:
        return Claim(yaml_path, match, parse_mapping(raw, yaml_path.name, yaml_path.stem))
    except UnreadableFile as exc:
        return Claim(yaml_path, match, None, str(exc))


def claims_digest(claims: tuple[Claim, ...]) -> str:
    """A digest of the claiming mappings: a file they may claim is read again when one changes."""
    return fingerprint(b"".join(c.yaml_path.read_bytes() for c in claims)) if claims else ""


def claim_for(claims: tuple[Claim, ...], kind: str, name: str, path: Path) -> Claim | None:
    """The mapping that takes over a file: the first whose scope holds it and whose headers it has."""
    scoped = [c for c in claims if c.match.in_scope(kind, name)]
    if not scoped:
        return None
    header = table_header(path)
    return next((c for c in scoped if c.match.claims(header)), None)


def read_claimed(claim: Claim, kind: str, path: Path, result: FileResult) -> None:
    """Read a file through the mapping that claims it; its lineage stays its own. In sales/ the
    file still names its salesperson unless the mapping says who."""
    if claim.error is not None:
        raise UnreadableFile(claim.error)
    result.source_format = f"mapped:{claim.yaml_path.stem}"
    defaults = {"salesperson": path.stem} if kind == "sales" else None
    stage_mapped_rows(claim.mapping, path, path.name, result, defaults)
