"""Tombstones as runs honour them (sources/erasure.py), corrections as survivorship applies them,
and the export page escaping what it shows."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from linkage.survivorship import CORRECTED_RULE, apply_corrections
from reports.subject_export import render
from sources.erasure import (
    ERASED_REASON,
    LINEAGE_KIND,
    lineage_value,
    quarantine_erased,
    tombstone_hash,
)
from sources.ingest import FILE_REPORT_SCHEMA
from sources.schema import QUARANTINE_SCHEMA, STAGED_SCHEMA

KEY = "k"


def _staged(rows: list[dict]) -> pa.Table:
    base = {name: None for name in STAGED_SCHEMA.names}
    return pa.Table.from_pylist([{**base, "source_sheet": "", **r} for r in rows], schema=STAGED_SCHEMA)


def _reports(counts: dict[str, int]) -> pa.Table:
    rows = [
        {"origin": f, "source_file": f, "rows_read": n, "staged": n, "quarantined": 0, "unmapped_columns": []}
        for f, n in counts.items()
    ]
    return pa.Table.from_pylist(rows, schema=FILE_REPORT_SCHEMA)


def test_rows_named_by_lineage_or_by_a_phone_in_any_dress_are_quarantined_without_their_data():
    staged = _staged(
        [
            {"source_file": "a.csv", "source_row": 1, "full_name": "张伟", "phone": "x"},
            {"source_file": "a.csv", "source_row": 2, "full_name": "李娜", "phone": "13912345678"},
            {"source_file": "b.csv", "source_row": 1, "full_name": "张伟", "phone": "+86 139-1234-5678"},
            {"source_file": "b.csv", "source_row": 2, "full_name": "王芳", "email": "WF@163.com"},
            {"source_file": "b.csv", "source_row": 3, "full_name": "赵敏", "phone": "13800000001"},
        ]
    )
    tombstones = frozenset(
        {
            tombstone_hash(KEY, LINEAGE_KIND, lineage_value("a.csv", "", 1)),
            tombstone_hash(KEY, "phone", "+8613912345678"),
            tombstone_hash(KEY, "email", "wf@163.com"),
        }
    )
    kept, quarantined, reports, erased = quarantine_erased(
        staged, QUARANTINE_SCHEMA.empty_table(), _reports({"a.csv": 2, "b.csv": 3}), KEY, tombstones
    )
    assert erased == 4 and kept.column("full_name").to_pylist() == ["赵敏"]
    assert set(quarantined.column("reason").to_pylist()) == {ERASED_REASON}
    assert quarantined.column("raw").null_count == 4  # the lineage key and the reason, nothing of the row
    assert [(r["staged"], r["quarantined"]) for r in reports.to_pylist()] == [(0, 2), (1, 2)]


def test_another_key_or_no_tombstones_leave_every_row_staged():
    staged = _staged([{"source_file": "a.csv", "source_row": 1, "phone": "13912345678"}])
    tombstones = frozenset({tombstone_hash("other", "phone", "+8613912345678")})
    reports = _reports({"a.csv": 1})
    for stones in (tombstones, frozenset()):
        kept, _, same, erased = quarantine_erased(staged, QUARANTINE_SCHEMA.empty_table(), reports, KEY, stones)
        assert erased == 0 and kept.num_rows == 1 and same is reports


def test_a_correction_wins_over_survivorship_and_names_its_request():
    golden = pa.table(
        {"customer_id": ["C1", "C2"], "email": ["old@163.com", "b@163.com"], "birth_date": [date(1990, 1, 1), None]}
    )
    lineage = pa.table(
        {
            "customer_id": ["C1", "C2"],
            "field": ["email", "email"],
            "value": ["old@163.com", "b@163.com"],
            "rule": ["most_frequent", "most_frequent"],
            "source_system": ["tmall", "tmall"],
            "source_file": ["shop/a.csv", "shop/a.csv"],
            "source_sheet": ["", ""],
            "source_row": pa.array([1, 2], pa.int64()),
        }
    )
    corrections = pa.table(
        {
            "customer_id": ["C1", "C1", "C9"],
            "field": ["email", "birth_date", "email"],
            "value": ["new@163.com", "1991-02-03", "gone@163.com"],
            "request_id": ["r1", "r2", "r3"],
        }
    )
    golden, lineage = apply_corrections(golden, lineage, corrections)
    assert golden.to_pylist() == [
        {"customer_id": "C1", "email": "new@163.com", "birth_date": date(1991, 2, 3)},
        {"customer_id": "C2", "email": "b@163.com", "birth_date": None},
    ]
    mine = [r for r in lineage.to_pylist() if r["customer_id"] == "C1"]
    assert {(r["field"], r["rule"], r["source_file"]) for r in mine} == {
        ("email", CORRECTED_RULE, "subject_requests/r1"),
        ("birth_date", CORRECTED_RULE, "subject_requests/r2"),
    }


def test_the_export_page_escapes_every_value():
    document = {
        "customer_id": "C1",
        "request_id": "r",
        "exported_at": "now",
        "exported_by": "adam",
        "golden_record": {"display_name": "<script>alert(1)</script>"},
        "source_records": [{"source_file": "a.csv", "name": "<b>x</b>"}],
        "tables": {},
    }
    page = render(document)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page
