"""Read a whole sources folder: every file to staged records or quarantine, with per-file counts.

A file's kind is known by its folder (shop/, sales/, service/, mapped/); its exact format is
detected from its header by the kind's reader. One broken file never stops the others.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from common import arrow_files, arrow_sql
from sources.archives import read_archive
from sources.formats import SPREADSHEET_SUFFIXES, TEXT_TABLE_SUFFIXES, is_archive_file
from sources.mapped import Claim, claim_for, claims_digest, mapping_claims, read_claimed, read_mapped_source
from sources.reading import FileResult, UnreadableFile, fingerprint, relative_name
from sources.sales_sheets import read_sales_file
from sources.schema import QUARANTINE_SCHEMA, STAGED_SCHEMA
from sources.service_logs import read_service_file
from sources.shop import read_shop_file

READERS = {
    # platforms and back-offices export .xls/.xlsx as often as text; a zip of any of these is read
    # member by member (sources/archives.py)
    "shop": (read_shop_file, TEXT_TABLE_SUFFIXES | SPREADSHEET_SUFFIXES),
    "sales": (read_sales_file, TEXT_TABLE_SUFFIXES | SPREADSHEET_SUFFIXES),
    "service": (read_service_file, TEXT_TABLE_SUFFIXES | SPREADSHEET_SUFFIXES | {".jsonl", ".json"}),
    "mapped": (read_mapped_source, {".yaml", ".yml"}),
}
IGNORED_NAMES = {".DS_Store", "Thumbs.db"}
# the kind of a file in no kind folder (the sources folder itself, another sub-folder): it is
# reported with its reason, unread, so a file put in the wrong place is never passed over in silence
OUTSIDE = "outside"


class NoSourceFiles(FileNotFoundError):
    """The sources folder is missing or holds no file in a kind folder: a run would publish nobody."""


def require_source_files(root: Path) -> None:
    """Raise NoSourceFiles, with a message fit for one line, unless the folder holds a file to read."""
    root = Path(root)
    if not root.is_dir():
        raise NoSourceFiles(f"sources folder not found: {root}")
    if not [kind for kind, _ in source_files(root) if kind != OUTSIDE]:
        *first, last = (f"{kind}/" for kind in READERS)
        raise NoSourceFiles(f"no source files in {root} (expected {', '.join(first)} or {last} sub-folders)")


@dataclass
class IngestResult:
    staged: pa.Table
    quarantined: pa.Table
    files: list[
        dict
    ]  # one report per file read: origin, source_file, format, fingerprint, rows_read, staged, quarantined, error
    unchanged: list[str] = field(default_factory=list)  # origins skipped because their fingerprint is known


def source_files(root: Path) -> list[tuple[str, Path]]:
    """(kind, path) for every file in the known kind folders, in a stable order, then (OUTSIDE,
    path) for every other file under root."""
    found = []
    for kind in READERS:
        folder = root / kind
        if folder.is_dir():
            found += [(kind, p) for p in sorted(folder.rglob("*")) if _is_source_file(p, folder)]
    # the rest, walking only what lies outside the kind folders (they may hold thousands of files)
    entries = sorted(Path(root).iterdir()) if Path(root).is_dir() else []
    outside = [p for p in entries if p.name not in READERS or not p.is_dir()]
    others = [q for p in outside for q in ([p] if p.is_file() else sorted(p.rglob("*")))]
    return found + [(OUTSIDE, p) for p in others if _is_source_file(p, root)]


def _is_source_file(path: Path, folder: Path) -> bool:
    """A file someone put there: not a system file, an office lock file or a hidden one."""
    hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
    return path.is_file() and not hidden and path.name not in IGNORED_NAMES and not path.name.startswith("~$")


def file_fingerprint(kind: str, path: Path, claims: str = "") -> str:
    """A file's content fingerprint; a mapping's covers its data file too (either may change), and
    any other file's covers `claims`, the digest of the mappings that may claim it by its header."""
    data = path.read_bytes() + (claims.encode() if kind != "mapped" else b"")
    described = _described_file(path) if kind == "mapped" else None
    if described is not None and described.is_file():
        data += described.read_bytes()
    return fingerprint(data)


def _described_file(yaml_path: Path) -> Path | None:
    import yaml

    try:
        return (yaml_path.parent / str(yaml.safe_load(yaml_path.read_text(encoding="utf-8"))["file"])).resolve()
    except Exception:
        return None  # the mapping's own read reports what is wrong with it


def read_source(kind: str, path: Path, root: Path, content_fingerprint: str | None = None) -> list[FileResult]:
    """A file's results: one, or one per member when it is a zip archive of exports."""
    content = content_fingerprint or file_fingerprint(kind, path)
    claims = mapping_claims(root)
    if not is_archive_file(path):
        return [read_file(kind, path, root, content, claims=claims)]
    return read_archive(
        path,
        relative_name(path, root),
        content,
        kind,
        lambda member, name: read_file(kind, member, root, content, claims=claims, name=name),
        mapped_data_files,
    )


def read_file(
    kind: str,
    path: Path,
    root: Path,
    content_fingerprint: str | None = None,
    claims: tuple[Claim, ...] | None = None,
    name: str | None = None,
) -> FileResult:
    """One file read by its folder's reader, or by the mapping whose `match` claims it; `name` is
    its lineage name when it is not its path under root (a zip member)."""
    origin = name or relative_name(path, root)
    result = FileResult(
        source_file=origin,
        origin=origin,
        source_format=kind,
        fingerprint=content_fingerprint or file_fingerprint(kind, path),
    )
    if kind == OUTSIDE:
        folders = ", ".join(f"{k}/" for k in READERS)
        result.reject_file(f"not read: a file in no kind folder (put it in one of {folders}; see docs/sources.md)")
        return result
    reader, suffixes = READERS[kind]
    if path.suffix.lower() not in suffixes:
        result.reject_file(f"unsupported file type '{path.suffix}' in {kind}/ (expected {', '.join(sorted(suffixes))})")
        return result
    claims = mapping_claims(root) if claims is None else claims
    claim = None if kind == "mapped" else claim_for(claims, kind, origin, path)
    try:
        if claim is not None:
            read_claimed(claim, kind, path, result)
        else:
            reader(path, result)
    except UnreadableFile as exc:
        result.reject_file(str(exc))
    except Exception as exc:  # a reader bug on one odd file must not stop the others
        result.reject_file(f"could not be read: {type(exc).__name__}: {exc}")
    return result


def mapped_data_files(root: Path) -> set[Path]:
    """Data files described by a mapping are read through it, not on their own."""
    folder = root / "mapped"
    return {p for p in map(_described_file, folder.glob("*.y*ml") if folder.is_dir() else []) if p is not None}


def ingest(root: Path, known: dict[str, str] | None = None) -> IngestResult:
    """Read every source file, or with `known` (origin -> fingerprint of an earlier read) only the
    new and changed ones; the unchanged origins are listed in the result."""
    root = Path(root)
    if not root.is_dir():
        raise NoSourceFiles(f"sources folder not found: {root}")
    described, claims = mapped_data_files(root), claims_digest(mapping_claims(root))
    todo, unchanged = [], []
    for kind, path in source_files(root):
        if path.resolve() in described:
            continue
        origin, content = relative_name(path, root), file_fingerprint(kind, path, claims)
        if known is not None and known.get(origin) == content:
            unchanged.append(origin)
        else:
            todo.append((kind, path, root, content))
    results = _read_all(todo)
    return IngestResult(
        staged=pa.concat_tables([staged for _, staged, _ in results]) if results else STAGED_SCHEMA.empty_table(),
        quarantined=pa.concat_tables([q for _, _, q in results]) if results else QUARANTINE_SCHEMA.empty_table(),
        files=[report for reports, _, _ in results for report in reports],
        unchanged=unchanged,
    )


PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # below this, starting worker processes costs more than it saves


def _read_all(todo: list[tuple]) -> list[tuple[list[dict], pa.Table, pa.Table]]:
    """Read files in worker processes when there is enough to read; results in folder order."""
    size = sum(path.stat().st_size for _, path, _, _ in todo)
    workers = min(os.cpu_count() or 1, len(todo))
    if workers < 2 or size < PARALLEL_MIN_BYTES:
        return [_read_to_tables(*job) for job in todo]
    # biggest first so one large export does not start last; workers only parse files (no
    # database handles or threads of their own), so a plain fork is safe and starts instantly
    order = sorted(range(len(todo)), key=lambda i: -todo[i][1].stat().st_size)
    folder = tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-reading-", dir=arrow_sql.spill_root())
    with folder, ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        jobs = zip(*(todo[i] for i in order))
        done = dict(zip(order, pool.map(_read_to_files, itertools.repeat(folder.name), *jobs)))
        # mapped before the folder goes: an unlinked file's mapping stays valid
        read = arrow_files.read_table
        return [
            (reports, read(staged), read(quarantined))
            for reports, staged, quarantined in map(done.get, range(len(todo)))
        ]


def _read_to_files(folder: str, *job) -> tuple[list[dict], Path, Path]:
    """A worker's file, its tables written to `folder` for the run's process to map: pickled back,
    they would land in that process's heap (at ten million records 3.4 GB it kept for good, pinned
    by whatever was allocated among them later), and be copied through a pipe on the way."""
    reports, *tables = _read_to_tables(*job)
    paths = [arrow_files.fresh_path(folder) for _ in tables]
    for path, table in zip(paths, tables):
        arrow_files.write_table(path, table)
    return reports, *paths


def _read_to_tables(kind: str, path: Path, root: Path, content: str) -> tuple[list[dict], pa.Table, pa.Table]:
    """One file (its reports: one per zip member) as Arrow tables."""
    results = read_source(kind, path, root, content)
    return (
        [file_report(res) for res in results],
        pa.concat_tables([STAGED_SCHEMA.empty_table(), *(res.staged_table() for res in results)]),
        pa.Table.from_pylist([q for res in results for q in res.quarantined], schema=QUARANTINE_SCHEMA),
    )


# one row per file read: what `file_report` writes
FILE_REPORT_SCHEMA = pa.schema(
    [
        ("origin", pa.string()),
        ("source_file", pa.string()),
        ("source_format", pa.string()),
        ("fingerprint", pa.string()),
        ("rows_read", pa.int64()),
        ("staged", pa.int64()),
        ("quarantined", pa.int64()),
        ("error", pa.string()),
        ("unmapped_columns", pa.list_(pa.string())),  # headers of non-empty columns no field reads (kept in notes)
    ]
)


def file_report(res: FileResult) -> dict:
    return {
        "origin": res.origin,
        "source_file": res.source_file,
        "source_format": res.source_format,
        "fingerprint": res.fingerprint,
        "rows_read": res.rows_read,
        "staged": res.staged_rows,
        "quarantined": len(res.quarantined),
        "error": res.error,
        "unmapped_columns": res.unmapped_columns,
    }
