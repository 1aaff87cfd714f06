"""The three jobs executed in process on the fixture sources, with their metadata and run report."""

from __future__ import annotations

import json
import shutil

import duckdb

from assets import work_tables
from assets.reports import REPORT_TAG
from assets.resources import WorkArea
from linkage import model
from warehouse import tables

TABLE_ASSETS = [
    "staged__source_records",
    "standardised__canonical_records",
    "linked__scored_pairs",
    "golden__customer_source_records",
    "golden__golden_customers",
]


def _metadata(result, node: str) -> dict:
    (materialization,) = result.asset_materializations_for_node(node)
    return materialization.metadata


def _report_of(result):
    return _metadata(result, "reports__run_report")["report"].path


def test_full_refresh_publishes_with_metadata_on_every_table(published):
    project, result = published
    assert project.query("select count(*) from customer_source_records") == [(1016,)]
    for node in TABLE_ASSETS:
        metadata = _metadata(result, node)
        assert (
            metadata["dagster/row_count"].value > 0 and "dagster/column_schema" in metadata and "preview" in metadata
        ), node
    summary = _metadata(result, "reports__match_summary")
    assert (
        summary["records"].value == 1016
        and summary["duplicates_merged"].value == summary["records"].value - summary["customers"].value
    )
    for chart in ("match_weight_histogram", "cluster_sizes", "duplicates_by_source_pair", "match_rate_by_source"):
        assert "█" in summary[chart].md_str, chart


def test_the_run_report_is_linked_from_the_run_and_holds_no_personal_data(published):
    project, result = published
    path = _report_of(result)
    assert path.startswith(str(project.reports)) and result.run_id[:8] in path
    assert project.instance.get_run_by_id(result.run_id).tags[REPORT_TAG] == path
    html = open(path, encoding="utf-8").read()
    for section in (
        "Checks",
        "Sources",
        "Overlap",
        "Duplicates merged",
        "Match-weight distribution",
        "Value tiers",
        "Quarantined rows by reason",
    ):
        assert section in html
    assert "<svg" in html and "all passed" in html and "No customer_value mart" not in html
    canonical = WorkArea(path=str(project.root / "work")).read(
        work_tables.CANONICAL, columns=["email_std", "phone_e164", "phone_display"]
    )
    personal = {v for column in canonical.columns for v in column.to_pylist() if v}
    assert personal and not [v for v in personal if v in html]


def test_incremental_update_reads_only_the_new_file(published, tmp_path):
    project = published[0].clone(tmp_path / "project")
    ids_before = dict(
        project.query("select source_file || ':' || source_row, customer_id from customer_source_records")
    )
    shutil.copy(
        project.sources / "sales" / "陈静.csv", project.sources / "sales" / "李娜.csv"
    )  # a colleague's copy of the same customers
    result = project.run("incremental_update")
    assert result.success
    staged = _metadata(result, "staged__source_records")
    assert (staged["files_read"].value, staged["files_unchanged"].value) == (1, 10)
    ids_after = dict(project.query("select source_file || ':' || source_row, customer_id from customer_source_records"))
    assert len(ids_after) == 1016 + 48
    assert {k: ids_after[k] for k in ids_before} == ids_before  # nobody's ID moved
    assert len(list(project.reports.glob("run_*.html"))) == 2


def test_retrain_model_saves_a_new_version(published, tmp_path):
    project = published[0].clone(tmp_path / "project")
    before = _metadata(published[1], "linked__linkage_model")["version"].value
    result = project.run("retrain_model")
    assert result.success
    metadata = _metadata(result, "linked__linkage_model")
    assert metadata["version"].value != before and metadata["trained"].value == "yes: retraining was asked for"
    versions = project.query("select version from linkage_models order by saved_at")
    assert versions == [(before,), (metadata["version"].value,)]


def test_the_first_run_trains_and_later_runs_reuse_the_warehouse_model(published, tmp_path):
    project, first = published
    assert _metadata(first, "linked__linkage_model")["trained"].value == "yes: no model in this warehouse"
    version = _metadata(first, "linked__linkage_model")["version"].value
    assert project.query(f"select model_version from pipeline_runs where run_id = '{first.run_id}'") == [(version,)]
    project = project.clone(tmp_path / "project")
    result = project.run("full_refresh")
    assert _metadata(result, "linked__linkage_model")["trained"].value == f"no: reused version {version}"
    assert _metadata(result, "linked__scored_pairs")["model_version"].value == version


def test_a_model_saved_under_another_design_is_trained_again(published, tmp_path):
    """Comparisons or blocking changed in code since the model was saved: the run must not score
    with the old model's rules; it trains a new one (and keeps the old version beside it)."""
    project = published[0].clone(tmp_path / "project")
    with duckdb.connect(str(project.root / "warehouse.duckdb")) as con:
        (before,) = con.execute("update linkage_models set design = 'an older design' returning version").fetchone()
    result = project.run("full_refresh")
    assert result.success
    metadata = _metadata(result, "linked__linkage_model")
    after = metadata["version"].value
    assert after != before and metadata["trained"].value == f"yes: version {before} was made under another design"
    kept = project.query("select version, design, data_profile from linkage_models order by saved_at")
    fields = json.loads(kept[-1][2])["fields"]  # the design follows the fields the records carry
    assert [k[:2] for k in kept] == [(before, "an older design"), (after, model.design_digest(fields))]
    assert project.run("full_refresh").success  # and the new one is kept from then on
    assert project.query("select model_version from pipeline_runs order by finished_at desc limit 1") == [(after,)]


def test_published_tables_assets_describe_their_columns_as_the_definitions_do(published):
    _, result = published
    by_key = {
        m.asset_key.path[-1]: m.metadata["dagster/column_schema"].value
        for node in ("marts", "golden__golden_customers", "golden__customer_source_records")
        for m in result.asset_materializations_for_node(node)
    }
    for table in (*tables.MARTS, tables.golden_customers):
        described = {c.name: c.description for c in by_key[table.name].columns}
        assert {n: d for n, d in described.items() if n in table.c} == {c.name: c.comment for c in table.columns}
    crosswalk = {c.name: c.description for c in by_key["customer_source_records"].columns}
    assert crosswalk["match_probability"] == tables.customer_source_records.c.match_probability.comment
