"""The mapping language: what a `mapped/<name>.yaml` may say, checked whole before any row is read.

A field is mapped from one source column (the form every older mapping uses), or from a table
that says how: `column` (a header, or for JSON a path such as `requester.email` or `tags[0]`),
`join` (several columns, `sep` between them) or `const` (one value for every row), refined by
`split` and `index` (a cell holding several values), `map` (a value table), `opt_in` (for a
consent column that states acceptance rather than refusal) and `format` (a date format for this
field). A `match` block lets the mapping take over files of a given header anywhere in the
sources folder. Every error names the mapping file and the field or key at fault.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase

from sources.reading import UnreadableFile, clean_cell
from sources.schema import PERSON_FIELDS
from sources.standardise.consent import parse_yes_no
from sources.standardise.dates import parse_date

TOP_LEVEL_KEYS = ("file", "source_system", "encoding", "columns", "date_format", "records", "match")
MATCH_KEYS = ("header", "folder", "glob")
SPEC_KEYS = ("column", "join", "const", "sep", "split", "index", "map", "opt_in", "format")
SOURCES = ("column", "join", "const")  # exactly one says where a field's value comes from
# the staged fields a mapping may fill: the person fields and a few facts about the row
TARGET_FIELDS = (*PERSON_FIELDS, "source_record_key", "event_at", "salesperson", "source_system")
DATE_FIELDS = ("birth_date", "event_at")
CONSENT_FIELD = "marketing_opt_out"
# fields that hold several values in one string: how `split` without `index` joins them again
SEVERAL_VALUES = {"phone": " / ", "notes": "; "}  # the phone standardiser splits on " / "
MATCHABLE_FOLDERS = ("shop", "sales", "service")
_PATH_RE = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
MISSING = object()  # a path that leads nowhere in a record (unlike a present null)


@dataclass(frozen=True)
class FieldSpec:
    """How one staged field is read from a row."""

    name: str
    column: str | None = None
    join: tuple[str, ...] = ()
    const: object = MISSING
    sep: str = " "
    split: str | None = None
    index: int | None = None
    values: tuple[tuple[object, object], ...] | None = None  # the `map`, in the order written
    opt_in: bool | None = None
    format: str | None = None

    def references(self) -> tuple[str, ...]:
        """The columns (or JSON paths) this field reads."""
        return (self.column,) if self.column is not None else self.join


@dataclass(frozen=True)
class Match:
    """Which files anywhere in the sources folder a mapping takes over, by header."""

    header: tuple[str, ...]
    folders: tuple[str, ...] = MATCHABLE_FOLDERS
    glob: str | None = None

    def in_scope(self, kind: str, name: str) -> bool:
        return kind in self.folders and (self.glob is None or fnmatchcase(name, self.glob))

    def claims(self, header: list[str]) -> bool:
        present = {_header_text(h) for h in header}
        return all(_header_text(h) in present for h in self.header)


@dataclass(frozen=True)
class Mapping:
    name: str  # the YAML file's name, for messages
    source_system: str
    fields: tuple[FieldSpec, ...]
    file: str | None = None
    encoding: str = "auto"
    records: str | None = None
    date_format: str | None = None
    match: Match | None = None


def _header_text(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lstrip("\ufeff").casefold()


# ---------------------------------------------------------------- parsing and validation


def parse_mapping(raw, yaml_name: str, default_system: str) -> Mapping:
    """A mapping from its parsed YAML; UnreadableFile naming the file and the field when it is wrong."""
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("columns"), dict)
        or not (raw.get("file") or raw.get("match"))
    ):
        raise UnreadableFile(f"mapping {yaml_name} needs 'file' (or a 'match' block) and a 'columns' table")
    unknown_keys = sorted(str(k) for k in raw if k not in TOP_LEVEL_KEYS)
    if unknown_keys:
        raise UnreadableFile(
            f"mapping {yaml_name}: unknown key(s) {', '.join(unknown_keys)} (known: {', '.join(TOP_LEVEL_KEYS)})"
        )
    unknown = sorted(str(f) for f in raw["columns"] if f not in TARGET_FIELDS)
    if unknown:
        raise UnreadableFile(f"mapping {yaml_name}: unknown canonical field(s) {', '.join(unknown)}")
    for key in ("file", "source_system", "encoding", "date_format", "records"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise UnreadableFile(f"mapping {yaml_name}: '{key}' must be text, not {raw[key]!r}")
    encoding = raw.get("encoding") or "auto"
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise UnreadableFile(f"mapping {yaml_name}: unknown encoding '{encoding}'") from exc
    return Mapping(
        name=yaml_name,
        source_system=str(raw.get("source_system") or default_system),
        fields=tuple(parse_field(str(f), spec, yaml_name) for f, spec in raw["columns"].items()),
        file=raw.get("file"),
        encoding=encoding,
        records=raw.get("records"),
        date_format=raw.get("date_format"),
        match=parse_match(raw["match"], yaml_name) if raw.get("match") is not None else None,
    )


def parse_match(raw, yaml_name: str) -> Match:
    def wrong(problem: str) -> UnreadableFile:
        return UnreadableFile(f"mapping {yaml_name}: match: {problem}")

    if not isinstance(raw, dict):
        raise wrong("expected a table with 'header' (and optionally 'folder', 'glob')")
    unknown = sorted(str(k) for k in raw if k not in MATCH_KEYS)
    if unknown:
        raise wrong(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(MATCH_KEYS)})")
    header = raw.get("header")
    if not isinstance(header, list) or not header or not all(isinstance(h, str) and h.strip() for h in header):
        raise wrong("'header' must be a list of the column headers a file must have")
    folders = raw.get("folder", list(MATCHABLE_FOLDERS))
    folders = [folders] if isinstance(folders, str) else folders
    if not isinstance(folders, list) or not folders or any(f not in MATCHABLE_FOLDERS for f in folders):
        raise wrong(f"'folder' must be one or more of {', '.join(MATCHABLE_FOLDERS)}, not {raw.get('folder')!r}")
    glob = raw.get("glob")
    if glob is not None and not (isinstance(glob, str) and glob.strip()):
        raise wrong("'glob' must be a path pattern such as 'shop/*.csv'")
    return Match(header=tuple(header), folders=tuple(folders), glob=glob)


def parse_field(name: str, spec, yaml_name: str) -> FieldSpec:
    def wrong(problem: str) -> UnreadableFile:
        return UnreadableFile(f"mapping {yaml_name}: field '{name}': {problem}")

    if isinstance(spec, str) and spec.strip():
        return FieldSpec(name=name, column=spec)
    if not isinstance(spec, dict):
        raise wrong(f"expected a column name or a table such as {{column: ...}}, not {spec!r}")
    unknown = sorted(str(k) for k in spec if k not in SPEC_KEYS)
    if unknown:
        raise wrong(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(SPEC_KEYS)})")
    sources = [k for k in SOURCES if k in spec]
    if len(sources) != 1:
        raise wrong("needs exactly one of 'column', 'join' or 'const'")
    _check_field_options(name, spec, wrong)
    return FieldSpec(
        name=name,
        column=spec.get("column"),
        join=tuple(spec.get("join") or ()),
        const=spec["const"] if "const" in spec else MISSING,
        sep=spec.get("sep", " "),
        split=spec.get("split"),
        index=spec.get("index"),
        values=tuple(spec["map"].items()) if "map" in spec else None,
        opt_in=spec.get("opt_in"),
        format=spec.get("format"),
    )


def _check_field_options(name: str, spec: dict, wrong) -> None:
    """The rules of a field's table; `wrong(problem)` builds the error naming the field and file."""
    if "column" in spec and not (isinstance(spec["column"], str) and spec["column"].strip()):
        raise wrong("'column' must be a column header or a JSON path")
    if "join" in spec and not (
        isinstance(spec["join"], list) and spec["join"] and all(isinstance(c, str) and c.strip() for c in spec["join"])
    ):
        raise wrong("'join' must be a list of column headers")
    if "const" in spec and (spec["const"] is None or isinstance(spec["const"], (list, dict))):
        raise wrong("'const' must be one value (text, number or yes/no)")
    if "const" in spec and len(spec) > 1:
        raise wrong("'const' stands alone (no split, map or format)")
    if "sep" in spec and ("join" not in spec or not isinstance(spec["sep"], str)):
        raise wrong("'sep' is the text between joined columns: it needs 'join' and must be text")
    if "split" in spec and not (isinstance(spec["split"], str) and spec["split"]):
        raise wrong("'split' must be the separator text, e.g. ';'")
    if "index" in spec and (isinstance(spec["index"], bool) or not isinstance(spec["index"], int)):
        raise wrong("'index' must be a whole number (0 is the first part)")
    if "split" in spec and "index" not in spec and name not in SEVERAL_VALUES:
        raise wrong(
            f"'split' without 'index' keeps several values, which only {', '.join(SEVERAL_VALUES)} hold; add 'index'"
        )
    if "map" in spec:
        _check_value_map(name, spec, wrong)
    if "opt_in" in spec and (name != CONSENT_FIELD or not isinstance(spec["opt_in"], bool)):
        raise wrong(f"'opt_in' (true or false) belongs to {CONSENT_FIELD} only")
    if "format" in spec and (
        name not in DATE_FIELDS or not isinstance(spec["format"], str) or "%" not in spec["format"]
    ):
        raise wrong(f"'format' is a date format such as '%d/%m/%Y', for {' and '.join(DATE_FIELDS)} only")


def _check_value_map(name: str, spec: dict, wrong) -> None:
    values = spec["map"]
    if not isinstance(values, dict) or not values:
        raise wrong("'map' must be a table of source value: field value")
    if "opt_in" in spec:
        raise wrong("use either 'map' or 'opt_in', not both")
    if any(isinstance(v, (list, dict)) for v in values.values()):
        raise wrong("'map' values must be single values")
    if name == CONSENT_FIELD:
        bad = [str(k) for k, v in values.items() if v is not None and parse_yes_no(v) is None]
        if bad:
            raise wrong(f"'map' must give yes/no (true = opted out) for {', '.join(bad)}")


# ---------------------------------------------------------------- reading a row


def path_parts(reference: str) -> list[str | int]:
    """'via.source.from.name' -> ['via', 'source', 'from', 'name']; 'tags[0]' -> ['tags', 0]."""
    return [key if key else int(index) for key, index in _PATH_RE.findall(reference)]


def lookup(row: dict, reference: str):
    """A row's value for a column header or, when no column has that name, a JSON path; MISSING
    when the path leads nowhere."""
    if reference in row:
        return row[reference]
    value = row
    for part in path_parts(reference):
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def unresolved(mapping: Mapping, rows: list[dict]) -> list[str]:
    """'field -> reference' for every column or path that no row has."""
    wanted = {(spec.name, ref) for spec in mapping.fields for ref in spec.references()}
    for row in rows:
        wanted = {(fld, ref) for fld, ref in wanted if lookup(row, ref) is MISSING}
        if not wanted:
            break
    return sorted(f"{fld} -> '{ref}'" for fld, ref in wanted)


def as_text(value) -> str | None:
    """A cell or JSON value as the text the file gives: nested JSON stays JSON text."""
    if value is MISSING:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False) if value else None
    return clean_cell(value)


def build_record(mapping: Mapping, row: dict) -> dict:
    """The staged fields a mapping reads from one row, with quality flags for what did not parse."""
    flags: list[str] = []
    record: dict = {"source_system": mapping.source_system}
    for spec in mapping.fields:
        value = field_value(spec, row, flags)
        if spec.name in DATE_FIELDS:
            value = _date_value(spec, value, spec.format or mapping.date_format, flags)
        elif spec.name == CONSENT_FIELD:
            value = _opt_out(spec, value)
        elif value is not None and not isinstance(value, str):
            value = as_text(value)
        record[spec.name] = value
    record["quality_flags"] = ";".join(flags) or None
    return record


def field_value(spec: FieldSpec, row: dict, flags: list[str]):
    """One field's value: its source, then split and index, then the value map."""
    if spec.const is not MISSING:
        return spec.const if isinstance(spec.const, bool) else as_text(spec.const)
    if spec.join:
        value = spec.sep.join(p for p in (as_text(lookup(row, c)) for c in spec.join) if p) or None
    else:
        raw = lookup(row, spec.column)
        if isinstance(raw, list) and spec.index is not None and spec.split is None:
            raw = raw[spec.index] if -len(raw) <= spec.index < len(raw) else None
        value = as_text(raw)
    if value is not None and spec.split is not None:
        value = _split(spec, value)
    if value is not None and spec.values is not None:
        value = _mapped_value(spec, value, flags)
    return value


def _split(spec: FieldSpec, value: str) -> str | None:
    parts = [p.strip() for p in value.split(spec.split) if p.strip()]
    if spec.index is None:
        return SEVERAL_VALUES[spec.name].join(parts) or None
    return parts[spec.index] if -len(parts) <= spec.index < len(parts) else None


def _mapped_value(spec: FieldSpec, value: str, flags: list[str]):
    """The map's value for a cell: text keys compare case- and width-insensitively; a yes/no key
    (YAML reads `yes:` as true) matches any yes/no spelling (是/否, Y/N)."""
    key = _header_text(value)
    for source, target in spec.values:
        if isinstance(source, bool) and parse_yes_no(value) is source:
            return target
        if not isinstance(source, bool) and _header_text(source) == key:
            return target
    flags.append(f"{spec.name}_unmapped")
    return None


def _opt_out(spec: FieldSpec, value) -> bool | None:
    """True when the person refused marketing. A column of opt_in meaning says yes to accept."""
    answer = parse_yes_no(value)
    if spec.opt_in and answer is not None:
        return not answer
    return answer


def _date_value(spec: FieldSpec, value, date_format: str | None, flags: list[str]):
    if value is None:
        return None
    text = value if isinstance(value, str) else as_text(value)
    moment = _parse_moment(text, date_format)
    if moment is None:
        flags.append(f"{spec.name}_unparsed")
        return None
    if spec.name == "birth_date":
        return (moment.date() if isinstance(moment, datetime) else moment).isoformat()
    return moment if isinstance(moment, datetime) else datetime.combine(moment, datetime.min.time())


def _parse_moment(text: str, date_format: str | None) -> date | datetime | None:
    if date_format:
        try:
            return datetime.strptime(text.strip(), date_format)
        except ValueError:
            return None
    return parse_date(text)
