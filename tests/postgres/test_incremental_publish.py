"""An incremental run publishes only the rows that changed, on DuckDB and on PostgreSQL, and
leaves every table whole: one row per record, per customer, per customer field, and every
published table holding exactly the rows the run built."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from dagster import materialize

from assets import work_tables
from assets.publishing import PUBLISHED_FROM_WORK
from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from demo.generate import generate_later_export, generate_sources
from pipelines.definitions import ALL_ASSETS, INCREMENTAL_STEPS
from warehouse.engine import make_engine
from warehouse.publish_plan import MART_KEYED

CUSTOMERS, SEED = 150, 5
INCREMENTAL = {"ops": {step: {"config": {"incremental": True}} for step in INCREMENTAL_STEPS}}


def _one(url: str, sql: str):
    with make_engine(url).connect() as conn:
        return conn.exec_driver_sql(sql).one()


def _value(v):
    """One value as both warehouses and Arrow agree on it."""
    if isinstance(v, (Decimal, float)):
        return round(float(v), 6)
    return tuple(v) if isinstance(v, list) else v


def _published_rows(url: str, table) -> Counter:
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    with make_engine(url).connect() as conn:
        return Counter(tuple(map(_value, row)) for row in conn.exec_driver_sql(f'select {columns} from "{table.name}"'))


def _built_rows(work: WorkArea, table) -> Counter:
    data = work.read(PUBLISHED_FROM_WORK[table]).select([c.name for c in table.columns])
    return Counter(tuple(map(_value, row.values())) for row in data.to_pylist())


def test_an_incremental_run_changes_customers_row_by_row(warehouse_url, tmp_path):
    sources, work = tmp_path / "sources", WorkArea(path=str(tmp_path / "work"))
    generate_sources(sources, customers=CUSTOMERS, seed=SEED)
    resources = {
        "sources": SourcesFolder(path=str(sources)),
        "warehouse": Warehouse(url=warehouse_url),
        "work": work,
        "linkage": LinkageSettings(),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),  # a fixed run date: reruns agree
    }
    assert materialize(ALL_ASSETS, resources=resources).success
    customers_before = _one(warehouse_url, "select count(*) from golden_customers")[0]
    generate_later_export(sources, customers=CUSTOMERS, seed=SEED, orders=40)
    assert materialize(ALL_ASSETS, resources=resources, run_config=INCREMENTAL).success
    assert (
        0 < work.read(work_tables.CHANGED_CUSTOMERS).num_rows < customers_before
    )  # the incremental path, not a full one
    # both runs scored with the warehouse's one model, trained by the first
    assert _one(warehouse_url, "select count(*), count(distinct model_version) from pipeline_runs") == (2, 1)
    assert _one(warehouse_url, "select count(*) from linkage_models") == (1,)
    assert all(work.has_published(PUBLISHED_FROM_WORK[mart]) for mart in MART_KEYED)  # marts written row by row too
    for table in PUBLISHED_FROM_WORK:
        assert _published_rows(warehouse_url, table) == _built_rows(work, table), table.name

    staged = work.read(work_tables.STAGED).num_rows
    assert _one(
        warehouse_url,
        "select count(*), count(distinct source_file || '|' || source_sheet || '|' || source_row) from customer_source_records",
    ) == (staged, staged)
    assert (
        _one(warehouse_url, "select count(*), count(distinct customer_id) from golden_customers")[0]
        == _one(warehouse_url, "select count(distinct customer_id) from customer_source_records")[0]
    )
    assert _one(
        warehouse_url,
        "select count(*) from customer_source_records c where not exists (select 1 from golden_customers g where g.customer_id = c.customer_id)",
    ) == (0,)
    assert _one(
        warehouse_url, "select count(*) - count(distinct customer_id || '|' || field) from golden_field_lineage"
    ) == (0,)
    assert _one(
        warehouse_url,
        "select count(*) from golden_field_lineage l where not exists (select 1 from golden_customers g where g.customer_id = l.customer_id)",
    ) == (0,)
    assert _one(warehouse_url, "select sum(source_record_count) from golden_customers") == (staged,)
