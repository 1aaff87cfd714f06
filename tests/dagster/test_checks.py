"""Checks that fail on purpose: a giant cluster stops the golden publish; drift warns (or blocks
when asked to); shrinking blocks (or warns when allowed); accuracy below its floor fails."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetCheckSeverity
from pipeline_project import GIANT_RECORDS, write_giant_cluster

from assets import work_tables
from assets.checks import (
    ACCURACY_SKIPPED,
    accuracy_against_truth,
    customers_not_shrunk,
    match_rate_within_drift,
    records_not_shrunk,
)
from assets.resources import Monitoring, RunSettings, Warehouse, WorkArea


def _evaluations(result) -> dict[str, object]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_a_giant_cluster_stops_the_golden_publish_and_the_previous_tables_stay_live(published, tmp_path):
    project = published[0].clone(tmp_path / "project")
    live = "select (select count(*) from golden_customers), (select count(*) from customer_source_records), (select max(source_record_count) from golden_customers)"
    before = project.query(live)
    write_giant_cluster(project.sources)
    result = project.run("incremental_update")
    assert not result.success
    bounded = _evaluations(result)["largest_cluster_bounded"]
    assert not bounded.passed and bounded.metadata["largest_cluster"].value == GIANT_RECORDS
    assert result.asset_materializations_for_node("warehouse__published") == []
    assert project.query(live) == before
    assert len(list(project.reports.glob("run_*.html"))) == 1  # no report for a run that did not publish
    (summary,) = result.asset_materializations_for_node("reports__match_summary")  # the charts that show why
    assert summary.metadata["largest_cluster"].value == GIANT_RECORDS


def test_a_jump_in_a_source_match_rate_warns_or_blocks_as_configured(published):
    project = published[0]
    crosswalk = WorkArea(path=str(project.root / "work")).read(work_tables.CROSSWALK)
    # every tmall record its own customer: tmall's match rate falls from ~95% to 0
    alone = pc.if_else(
        pc.equal(crosswalk.column("source_system"), "tmall"),
        pc.binary_join_element_wise("alone-", pc.cast(crosswalk.column("record_id"), pa.string()), ""),
        crosswalk.column("customer_id"),
    )
    changed = crosswalk.set_column(crosswalk.column_names.index("customer_id"), "customer_id", alone)
    warehouse = Warehouse(url=project.env()["UNIFY_WAREHOUSE"])
    warned = match_rate_within_drift(changed, warehouse, Monitoring())
    assert (
        not warned.passed
        and warned.severity == AssetCheckSeverity.WARN
        and warned.metadata["drifted_sources"].value == "tmall"
    )
    blocked = match_rate_within_drift(changed, warehouse, Monitoring(drift_blocks_publish=True))
    assert not blocked.passed and blocked.severity == AssetCheckSeverity.ERROR
    assert match_rate_within_drift(crosswalk, warehouse, Monitoring()).passed


def test_records_or_customers_that_shrank_block_the_publish_unless_allowed(published):
    project = published[0]
    work = WorkArea(path=str(project.root / "work"))
    staged, golden = work.read(work_tables.STAGED), work.read(work_tables.GOLDEN)
    warehouse = Warehouse(url=project.env()["UNIFY_WAREHOUSE"])
    without_sales = staged.filter(pc.not_equal(staged.column("source_system"), "sales"))
    blocked = records_not_shrunk(without_sales, warehouse, Monitoring(), RunSettings())
    assert not blocked.passed and blocked.severity == AssetCheckSeverity.ERROR
    assert blocked.metadata["shrunk_sources"].value == "sales"
    assert blocked.metadata["last_publish"].value == staged.num_rows
    allowed = records_not_shrunk(without_sales, warehouse, Monitoring(), RunSettings(allow_shrink=True))
    assert not allowed.passed and allowed.severity == AssetCheckSeverity.WARN
    assert records_not_shrunk(staged, warehouse, Monitoring(), RunSettings()).passed
    # one customer in twenty-five gone is within the 5% allowed; one in ten is not, unless the limit is raised
    fewer, far_fewer = golden.slice(0, golden.num_rows * 24 // 25), golden.slice(0, golden.num_rows * 9 // 10)
    assert customers_not_shrunk(fewer, warehouse, Monitoring(), RunSettings()).passed
    assert not customers_not_shrunk(far_fewer, warehouse, Monitoring(), RunSettings()).passed
    assert customers_not_shrunk(far_fewer, warehouse, Monitoring(max_shrink=0.2), RunSettings()).passed


def test_accuracy_below_its_floor_fails_and_without_truth_is_not_checked(published):
    project = published[0]
    crosswalk = WorkArea(path=str(project.root / "work")).read(work_tables.CROSSWALK)
    assert accuracy_against_truth(crosswalk, Monitoring(truth_path=str(project.truth))).passed
    assert not accuracy_against_truth(crosswalk, Monitoring(truth_path=str(project.truth), min_recall=0.999)).passed
    skipped = accuracy_against_truth(crosswalk, Monitoring())
    assert skipped.passed and skipped.metadata["status"].value == ACCURACY_SKIPPED == "skipped: no truth file"
