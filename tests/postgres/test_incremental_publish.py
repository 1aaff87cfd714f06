"""An incremental run publishes only its changed customers' rows, on DuckDB and on PostgreSQL,
and leaves every customer table whole: one row per record, per customer, per customer field."""

from __future__ import annotations

from dagster import materialize

from assets.customers import CHANGED
from assets.resources import LinkageSettings, Monitoring, SourcesFolder, Warehouse, WorkArea
from demo.generate import generate_later_export, generate_sources
from pipelines.definitions import ALL_ASSETS, INCREMENTAL_STEPS
from warehouse.engine import make_engine

CUSTOMERS, SEED = 150, 5
INCREMENTAL = {"ops": {step: {"config": {"incremental": True}} for step in INCREMENTAL_STEPS}}


def _one(url: str, sql: str):
    with make_engine(url).connect() as conn:
        return conn.exec_driver_sql(sql).one()


def test_an_incremental_run_changes_customers_row_by_row(warehouse_url, tmp_path):
    sources, work = tmp_path / "sources", WorkArea(path=str(tmp_path / "work"))
    generate_sources(sources, customers=CUSTOMERS, seed=SEED)
    resources = {
        "sources": SourcesFolder(path=str(sources)),
        "warehouse": Warehouse(url=warehouse_url),
        "work": work,
        "linkage": LinkageSettings(model_path=str(tmp_path / "model.json")),
        "monitoring": Monitoring(),
    }
    assert materialize(ALL_ASSETS, resources=resources).success
    customers_before = _one(warehouse_url, "select count(*) from golden_customers")[0]
    generate_later_export(sources, customers=CUSTOMERS, seed=SEED, orders=40)
    assert materialize(ALL_ASSETS, resources=resources, run_config=INCREMENTAL).success
    assert 0 < work.read(CHANGED).num_rows < customers_before  # the incremental path, not a full one

    staged = work.read("staged").num_rows
    assert _one(warehouse_url, "select count(*), count(distinct source_file || '|' || source_sheet || '|' || source_row) from customer_source_records") == (staged, staged)
    assert _one(warehouse_url, "select count(*), count(distinct customer_id) from golden_customers")[0] == _one(warehouse_url, "select count(distinct customer_id) from customer_source_records")[0]
    assert _one(warehouse_url, "select count(*) from customer_source_records c where not exists (select 1 from golden_customers g where g.customer_id = c.customer_id)") == (0,)
    assert _one(warehouse_url, "select count(*) - count(distinct customer_id || '|' || field) from golden_field_lineage") == (0,)
    assert _one(warehouse_url, "select count(*) from golden_field_lineage l where not exists (select 1 from golden_customers g where g.customer_id = l.customer_id)") == (0,)
    assert _one(warehouse_url, "select sum(source_record_count) from golden_customers") == (staged,)
