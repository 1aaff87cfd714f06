"""Incremental reads: keep what unchanged files gave last time, re-read only new and changed ones.

Files are known by their content fingerprint, so a renamed-but-identical file is read again (its
lineage changed) and a touched-but-identical file is not.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from common.arrow_sql import connection, rows_where
from sources.ingest import FILE_REPORT_SCHEMA, IngestResult, ingest
from sources.schema import LINEAGE

# the work tables an incremental read builds on
PREVIOUS = ("staged", "quarantined", "file_reports")
READ_FILES_SCHEMA = pa.schema([("source_file", pa.string())])


def read_folder(root, previous: dict[str, pa.Table] | None) -> tuple[IngestResult, pa.Table, pa.Table, pa.Table]:
    """(this read, staged, quarantined, file reports) of the whole folder; with the previous
    run's tables only new and changed files are read."""
    if previous is None:
        result = ingest(root)
        # with its schema, an empty folder's report table still has its columns
        return result, result.staged, result.quarantined, pa.Table.from_pylist(result.files, schema=FILE_REPORT_SCHEMA)
    result = ingest(root, known=known_fingerprints(previous["file_reports"]))
    return (result, *merge_ingest(previous, result))


def files_read(result: IngestResult) -> pa.Table:
    """The source files this read opened (new or changed ones when incremental), by lineage name."""
    return pa.table({"source_file": [f["source_file"] for f in result.files]}, schema=READ_FILES_SCHEMA)


def known_fingerprints(reports: pa.Table) -> dict[str, str]:
    return dict(zip(reports.column("origin").to_pylist(), reports.column("fingerprint").to_pylist()))


def kept_files(reports: pa.Table, unchanged: list[str]) -> list[str]:
    """The source_file names (lineage) of the unchanged origins."""
    return _reports_of(reports, unchanged).column("source_file").to_pylist()


def _reports_of(reports: pa.Table, origins: list[str]) -> pa.Table:
    return rows_where(reports, pc.is_in(reports.column("origin"), pa.array(origins, pa.string())))


def rows_of(table: pa.Table, files: list[str]) -> pa.Table:
    return rows_where(table, pc.is_in(table.column("source_file"), pa.array(files, pa.string())))


def merge_ingest(previous: dict[str, pa.Table], result: IngestResult) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(staged, quarantined, file reports) of the whole folder: last run's rows for unchanged
    files, this read for the rest; files that disappeared are gone from all three."""
    reports = previous["file_reports"]
    files = kept_files(reports, result.unchanged)
    kept_reports = _reports_of(reports, result.unchanged)
    new_reports = (
        pa.Table.from_pylist(result.files, schema=reports.schema) if result.files else kept_reports.slice(0, 0)
    )
    return (
        pa.concat_tables([rows_of(previous["staged"], files), result.staged]),
        pa.concat_tables([rows_of(previous["quarantined"], files), result.quarantined]),
        pa.concat_tables([kept_reports, new_reports]),
    )


def split_known(previous: pa.Table, staged: pa.Table, reread: list[str]) -> tuple[pa.Table, pa.Table]:
    """(previous canonical records still staged and not re-read, staged rows to standardise).

    Matched on the lineage key, so records a failed earlier run staged but never standardised
    are picked up too."""
    con = connection(previous=previous, staged=staged, reread=pa.table({"source_file": pa.array(reread, pa.string())}))
    still_here = f"from previous p semi join staged s using ({LINEAGE}) where p.source_file not in (select source_file from reread)"
    if con.execute(f"select count(*) {still_here}").fetchall()[0][0] == previous.num_rows:
        kept = previous  # the usual case: nothing went away; keep the table rather than copy it
    else:
        kept = con.sql(f"select p.* {still_here}").to_arrow_table()
    con.register("kept", kept)
    todo = con.sql(f"select s.* from staged s anti join kept k using ({LINEAGE})").to_arrow_table()
    return kept, todo
