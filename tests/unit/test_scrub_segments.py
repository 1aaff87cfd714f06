"""Erasure reaches rows an incremental run appended: a work table's segments are the table's."""

import pyarrow as pa

from common import arrow_files
from sources.ingest import FILE_REPORT_SCHEMA
from sources.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, STAGED_SCHEMA
from warehouse.subjects import scrub_work_area

EARLIER, LATER = ("shop/orders.csv", "", 1), ("shop/later.csv", "", 1)  # the person's rows, one in each export
STRANGER = ("shop/later.csv", "", 2)


def _records(schema: pa.Schema, keys: list[tuple], first_id: int) -> pa.Table:
    rows = [{"source_file": f, "source_sheet": s, "source_row": r, "name": "x"} for f, s, r in keys]
    if "record_id" in schema.names:
        rows = [{**row, "record_id": first_id + n} for n, row in enumerate(rows)]
    return pa.Table.from_pylist(rows, schema=schema)


def _reports(counts: dict[str, int]) -> pa.Table:
    rows = [{"source_file": f, "origin": f, "rows_read": n, "staged": n, "quarantined": 0} for f, n in counts.items()]
    return pa.Table.from_pylist(rows, schema=FILE_REPORT_SCHEMA)


def test_the_persons_rows_in_appended_segments_are_scrubbed_and_every_other_row_kept(tmp_path):
    staged, canonical = tmp_path / "staged.arrow", tmp_path / "canonical.arrow"
    for path, schema in ((staged, STAGED_SCHEMA), (canonical, CANONICAL_SCHEMA)):
        arrow_files.write_table(path, _records(schema, [EARLIER], 1))
        arrow_files.append_parts(path, [_records(schema, [LATER, STRANGER], 2)])  # an incremental run's export
    pairs = tmp_path / "pairs.arrow"
    arrow_files.write_table(pairs, pa.table({"record_id_l": [1], "record_id_r": [2]}))
    arrow_files.append_parts(pairs, [pa.table({"record_id_l": [2], "record_id_r": [3]})])
    arrow_files.write_table(tmp_path / "quarantined.arrow", QUARANTINE_SCHEMA.empty_table())
    arrow_files.write_table(tmp_path / "file_reports.arrow", _reports({EARLIER[0]: 1, LATER[0]: 2}))

    removed = scrub_work_area(tmp_path, "C-1", [EARLIER, LATER])
    keys = lambda table: set(zip(*(table.column(c).to_pylist() for c in ("source_file", "source_sheet", "source_row"))))  # noqa: E731

    assert removed["staged.arrow"] == 2 and removed["canonical.arrow"] == 2
    for path in (staged, canonical):
        assert keys(arrow_files.read_table(path)) == {STRANGER}
    assert arrow_files.read_table(pairs).num_rows == 0  # both pairs held one of the person's records
    quarantined = arrow_files.read_table(tmp_path / "quarantined.arrow")
    assert keys(quarantined) == {EARLIER, LATER}
    # no file of the folder, segment or not, still holds a row of the person
    for path in tmp_path.glob("*.arrow"):
        table = pa.ipc.open_file(str(path)).read_all()
        if "source_row" in table.column_names and "reason" not in table.column_names:
            assert not keys(table) & {EARLIER, LATER}, path.name
