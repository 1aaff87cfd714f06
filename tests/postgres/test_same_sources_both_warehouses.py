"""The same sources published to DuckDB and to a real PostgreSQL server give the same warehouse."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import materialize
from sqlalchemy import insert, inspect, text

from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from linkage.model_store import write_model_file
from pipelines.definitions import ALL_ASSETS
from warehouse import tables
from warehouse.audience_export import build_export
from warehouse.comments import read_comments
from warehouse.engine import make_engine
from warehouse.models import current_model

DOCS = Path(__file__).parents[2] / "docs" / "warehouse.md"
KEYED = {
    "golden_customers": "customer_id",
    "customer_value": "customer_id",
    "marketing_audience": "customer_id",
    "customer_orders": "order_id",
}


def _run(work: Path, url: str, model: Path | None, sources: Path) -> None:
    resources = {
        "sources": SourcesFolder(path=str(sources)),
        "warehouse": Warehouse(url=url),
        "work": WorkArea(path=str(work)),
        "linkage": LinkageSettings(model_path=str(model or "")),  # one model for both: the same links
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),  # a fixed run date: reruns agree
    }
    assert materialize(ALL_ASSETS, resources=resources).success


def _counts(url: str) -> dict[str, tuple[int, int]]:
    """table -> (rows, rows that repeat another row entirely)"""
    with make_engine(url).connect() as conn:
        return {
            t.name: tuple(
                conn.exec_driver_sql(
                    f'select count(*), count(*) - (select count(*) from (select distinct * from "{t.name}") d) from "{t.name}"'
                ).one()
            )
            for t in (*tables.PUBLISHED, *tables.STATE)
        }


def _rows(url: str, table: str) -> list[tuple]:
    with make_engine(url).connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f'select * from "{table}" order by "{KEYED[table]}"')]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory, sample_sources, postgres_url):
    tmp = tmp_path_factory.mktemp("both_warehouses")
    duck, model = f"duckdb:///{tmp}/warehouse.duckdb", tmp / "model.json"
    _run(tmp / "work_duckdb", duck, None, sample_sources)  # trains the DuckDB warehouse's model
    write_model_file(current_model(make_engine(duck)), model)  # shipped to PostgreSQL
    _run(tmp / "work_postgres", postgres_url, model, sample_sources)
    first = _counts(postgres_url)
    with make_engine(postgres_url).begin() as conn:  # state a publish must never touch
        conn.execute(
            insert(tables.staff_accounts).values(
                username="li.qiang", role="viewer", password_hash="x", created_at=datetime(2025, 1, 1), disabled=False
            )
        )
    _run(tmp / "work_postgres", postgres_url, model, sample_sources)
    return duck, postgres_url, first


def test_same_golden_customers_and_every_contract_table(warehouses):
    duck, pg, first = warehouses
    duck_counts = _counts(duck)
    assert first["golden_customers"] == duck_counts["golden_customers"] and first["golden_customers"][0] > 250
    for table in tables.PUBLISHED:
        assert first[table.name] == duck_counts[table.name], table.name
        assert first[table.name][0] > 0 or table is tables.quarantined_records, (
            table.name
        )  # the samples have no bad rows
    for table in KEYED:
        assert _rows(pg, table) == _rows(duck, table), table


def test_a_second_run_duplicates_nothing_and_keeps_the_state(warehouses):
    _, pg, first = warehouses
    second = _counts(pg)
    for table in tables.PUBLISHED:
        assert second[table.name] == (first[table.name][0], 0), table.name
    assert second["identity_registry"] == first["identity_registry"]
    assert second["pipeline_runs"][0] == 2
    assert second["linkage_models"][0] == 1  # the shipped model, imported once, scored both runs
    assert second["staff_accounts"][0] == 1


def test_postgres_tables_have_comments_and_lookup_indexes_under_their_own_names(warehouses):
    _, pg, _ = warehouses
    with make_engine(pg).connect() as conn:
        comment = conn.execute(text("select obj_description('customer_value'::regclass, 'pg_class')")).scalar()
        column = conn.execute(text("select col_description('customer_orders'::regclass, 1)")).scalar()
        indexes = {
            (r.tablename, r.indexname)
            for r in conn.execute(text("select tablename, indexname from pg_indexes where schemaname = 'public'"))
        }
        names = inspect(conn).get_table_names()
    assert comment == tables.customer_value.comment
    assert column == "the shop's order number"
    assert {(t.name, f"ix_{t.name}_{c}") for t, cols in tables.LOOKUP_INDEXES.items() for c in cols} <= indexes
    assert ("golden_customers", "golden_customers_pkey") in indexes
    assert [n for n in names if "__next" in n] == [] and [i for _, i in indexes if "__next" in i] == []


def test_every_query_in_the_docs_gives_the_same_rows_on_both(warehouses):
    duck, pg, _ = warehouses
    queries = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(queries) >= 8
    for query in queries:
        results = []
        for url in (duck, pg):
            with make_engine(url).connect() as conn:
                results.append(
                    [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in conn.exec_driver_sql(query)]
                )
        assert results[0] == results[1] and results[0], (
            query
        )  # numbers compared as numbers: DuckDB's decimal arithmetic may give a double


def test_every_published_table_and_column_carries_its_description_on_both(warehouses):
    """BI tools show these: the comments of tables.py, read back from each database after the runs."""
    for url in warehouses[:2]:
        with make_engine(url).connect() as conn:
            found = read_comments(conn)
        for table in tables.PUBLISHED:
            table_comment, columns = found[table.name]
            assert table_comment == table.comment, (url, table.name)
            assert columns == {c.name: c.comment for c in table.columns}, (url, table.name)
            assert all(columns.values()), (url, table.name)


@pytest.mark.parametrize(
    "channel, segment", [("email", None), ("sms", "top20"), ("mail", "at-risk"), ("wechat", "tier=B")]
)
def test_audience_exports_are_the_same_on_both(warehouses, channel, segment):
    """warehouse/audience_export.py's SQL runs on both backends and gives the same rows and reasons."""
    duck, pg = (build_export(make_engine(url), channel, segment) for url in warehouses[:2])
    assert duck.rows and duck.suppressed
    assert (pg.rows, pg.suppressed) == (duck.rows, duck.suppressed)
