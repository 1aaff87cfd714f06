"""The Dagster assets materialised in process into a temporary DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import Definitions, materialize

from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from pipelines.definitions import ALL_ASSETS, defs


def _resources(tmp: Path, sources: Path, max_cluster_size: int = 200) -> dict:
    return {
        "sources": SourcesFolder(path=str(sources)),
        "warehouse": Warehouse(url=f"duckdb:///{tmp}/warehouse.duckdb"),
        "work": WorkArea(path=str(tmp / "work")),
        "linkage": LinkageSettings(max_cluster_size=max_cluster_size),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),  # a fixed run date: reruns agree
    }


def _run(tmp: Path, sources: Path, **kwargs):
    return materialize(ALL_ASSETS, resources=_resources(tmp, sources, **kwargs), raise_on_error=False)


def _query(tmp: Path, sql: str):
    with duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, sample_sources):
    tmp = tmp_path_factory.mktemp("assets")
    result = _run(tmp, sample_sources)
    assert result.success
    return tmp


def test_definitions_load():
    Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("full_refresh") and defs.resolve_job_def("retrain_model")


def test_published_tables_reconcile(first_run):
    (staged,) = _query(first_run, "select count(*) from customer_source_records")[0]
    assert staged == 1016
    assert _query(
        first_run, "select count(*) from customer_source_records c anti join golden_customers g using (customer_id)"
    ) == [(0,)]
    assert _query(first_run, "select sum(source_record_count) from golden_customers") == [(1016,)]
    (golden,) = _query(first_run, "select count(*) from golden_customers")[0]
    assert 250 <= golden <= 400  # 300 people in the sample
    assert _query(first_run, "select count(*) from linkage_models") == [(1,)]  # the model is the warehouse's


def test_rerun_on_same_sources_keeps_every_id(first_run, sample_sources):
    before = dict(
        _query(
            first_run,
            "select source_file || '|' || source_sheet || '|' || source_row, customer_id from customer_source_records",
        )
    )
    assert _run(first_run, sample_sources).success
    after = dict(
        _query(
            first_run,
            "select source_file || '|' || source_sheet || '|' || source_row, customer_id from customer_source_records",
        )
    )
    assert after == before
    assert _query(first_run, "select count(*) from pipeline_runs") == [(2,)]


def test_failed_blocking_check_keeps_previous_tables_live(first_run, sample_sources):
    before = _query(first_run, "select count(*), min(customer_id) from golden_customers")
    result = _run(first_run, sample_sources, max_cluster_size=1)  # every merged customer now counts as a giant cluster
    assert not result.success
    assert _query(first_run, "select count(*), min(customer_id) from golden_customers") == before
