"""The reports package on its own: figures, charts and the page, without Dagster."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from assets import work_tables
from assets.resources import WorkArea
from reports import figures
from reports.charts import svg_bars, text_bars
from reports.run_report import CheckOutcome, collect, render, report_path


def test_reasons_leave_the_warehouse_as_the_fixed_text_of_their_kind():
    assert figures.public_reason("row has 12 fields, header has 9") == "row has # fields, header has #"
    headerless = "unrecognised shop export: header ['王芳', '13812345678', 'wang.fang@example.com'] matches neither"
    assert figures.public_reason(headerless) == "unrecognised header: no known layout"
    assert figures.public_reason("could not be read: KeyError: 'Wang Fang'") == "could not be read (a reader error)"
    assert figures.public_reason("bad phone 13812345678 for Wang Fang") == figures.OTHER_REASON
    assert figures.public_reason(None) == figures.OTHER_REASON


def test_match_rates_count_records_that_joined_another():
    crosswalk = pa.table(
        {"customer_id": ["C1", "C1", "C2", "C3"], "source_system": ["tmall", "sales", "tmall", "sales"]}
    )
    assert figures.match_rates(crosswalk) == [
        {"source_system": "sales", "records": 2, "matched": 1, "rate": 0.5},
        {"source_system": "tmall", "records": 2, "matched": 1, "rate": 0.5},
    ]
    before = [{"source_system": "tmall", "rate": 0.9}]
    assert [c["change"] for c in figures.rate_changes(before, figures.match_rates(crosswalk))] == [None, -0.4]


def test_cluster_sizes_fall_in_buckets():
    crosswalk = pa.table({"customer_id": ["A"] * 7 + ["B", "C", "C"]})
    assert figures.cluster_sizes(crosswalk) == [("1", 1), ("2", 1), ("6-10", 1)]


def test_the_largest_customers_are_the_most_records_ties_by_id():
    sizes = {"C5": 3, "C1": 3, "C2": 1, "C4": 2, "C3": 2}
    ids = [c for c, n in sizes.items() for _ in range(n)]
    systems = ["sales", "tmall", "sales", "tmall", "tmall", "tmall", "helpdesk", "sales", "tmall", "tmall", "tmall"]
    crosswalk = pa.table({"customer_id": ids, "source_system": systems})
    assert figures.largest_customers(crosswalk, top=4) == [
        {"customer_id": "C1", "records": 3, "source_systems": "tmall"},
        {"customer_id": "C5", "records": 3, "source_systems": "sales, tmall"},
        {"customer_id": "C3", "records": 2, "source_systems": "tmall"},
        {"customer_id": "C4", "records": 2, "source_systems": "sales, tmall"},
    ]


def test_charts_scale_to_the_largest_value_and_escape_labels():
    assert text_bars([("a", 10), ("b", 5)], "x", "n", width=10).splitlines()[2:] == [
        "| a | 10 | ██████████ |",
        "| b | 5 | █████ |",
    ]
    svg = svg_bars([("<b>&", 3)], "t")
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg


def test_a_page_without_a_value_mart_or_with_quarantine_still_renders(published):
    work = WorkArea(path=str(published[0].root / "work"))
    files, crosswalk, pairs = (
        work.read(t) for t in (work_tables.FILE_REPORTS, work_tables.CROSSWALK, work_tables.PAIRS)
    )
    quarantined = pa.table(
        {
            "source_file": ["shop/x.csv"],
            "source_sheet": [""],
            "source_row": [3],
            "reason": ["row has 3 fields, header has 9"],
            "raw": ["{}"],
        }
    )
    linkage = figures.LinkageFigures.from_json(
        figures.linkage(crosswalk, pairs).to_json()
    )  # as the run report gets them
    run = collect(
        "r" * 36,
        datetime(2026, 1, 5, 2, 0),
        files,
        linkage,
        quarantined,
        None,
        [CheckOutcome("golden/golden_customers", "drift", False, "WARN")],
        {
            "status": "predicting with version v1 (refitted on full runs)",
            "customers": 3,
            "tiers_by": "total_spent",
            "calibration": None,
        },
    )
    html = render(run)
    assert "No calibration in this run: an incremental run predicts with the current version" in html
    assert (
        "No customer_value mart in this run" in html
        and "row has # fields, header has #" in html
        and "1 not passed" in html
    )
    assert report_path("out", run.run_id, run.finished_at).name == "run_20260105_020000_rrrrrrrr.html"
