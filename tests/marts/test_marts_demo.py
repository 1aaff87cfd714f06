"""The marts on a demo run: the whole pipeline on generated sources, published to a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import materialize

from assets import work_tables
from assets.checks import CROSSWALK_CHECKS, GOLDEN_CHECKS, STAGED_CHECKS
from assets.marts import MART_ASSETS, MART_CHECKS
from assets.publishing import published
from assets.resources import LinkageSettings, Monitoring, RunSettings, SourcesFolder, Warehouse, WorkArea
from common import audits
from demo.generate import generate_sources
from pipelines.definitions import ALL_ASSETS
from warehouse import tables


def _resources(tmp: Path) -> dict:
    return {
        "sources": SourcesFolder(path=str(tmp / "sources")),
        "warehouse": Warehouse(url=f"duckdb:///{tmp}/warehouse.duckdb"),
        "work": WorkArea(path=str(tmp / "work")),
        "linkage": LinkageSettings(),
        "monitoring": Monitoring(),
        "run_settings": RunSettings(as_of="2025-10-31"),  # a fixed run date: reruns agree
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("marts_demo")
    generate_sources(tmp / "sources", customers=600, seed=3)
    result = materialize(ALL_ASSETS, resources=_resources(tmp))
    assert result.success
    return tmp, result


def _query(tmp: Path, sql: str):
    with duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_mart_check_passed_and_every_mart_is_published(demo):
    tmp, result = demo
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len([*STAGED_CHECKS, *CROSSWALK_CHECKS, *GOLDEN_CHECKS, *MART_CHECKS])
    assert [e.check_name for e in evaluations if not e.passed] == []
    for mart in tables.MARTS:
        (published,) = _query(tmp, f"select count(*) from {mart.name}")[0]
        assert published == WorkArea(path=str(tmp / "work")).read(work_tables.mart(mart)).num_rows > 0, mart.name


def test_about_a_fifth_of_buying_customers_are_top_20pct(demo):
    tmp, _ = demo
    buyers, top = _query(
        tmp, "select count(*) filter (where order_count > 0), count(*) filter (where is_top_20pct) from customer_value"
    )[0]
    assert buyers > 300 and 0.17 <= top / buyers <= 0.2
    assert _query(tmp, "select count(*) from customer_value c anti join golden_customers g using (customer_id)") == [
        (0,)
    ]
    assert _query(tmp, "select count(*) = (select count(*) from golden_customers) from customer_value") == [(True,)]


def test_only_successful_orders_count_toward_value(demo):
    tmp, _ = demo
    assert _query(tmp, "select sum(order_count) from customer_value") == _query(
        tmp, "select count(*) from customer_orders where is_successful"
    )
    statuses = dict(_query(tmp, "select status, bool_and(is_successful) from customer_orders group by status"))
    assert statuses == {
        "交易成功": True,
        "交易关闭": False,
        "卖家已发货，等待买家确认": False,
        "paid": True,
        "refunded": False,
        "pending": False,
    }


def test_the_audience_has_no_opted_out_or_open_complaint_customer_and_no_address_twice(demo):
    tmp, _ = demo
    assert _query(
        tmp,
        "select count(*) from marketing_audience join golden_customers g using (customer_id) where g.marketing_opt_out",
    ) == [(0,)]
    assert _query(
        tmp,
        """select count(*) from marketing_audience
           where customer_id in (select customer_id from customer_service_tickets where ticket_type = 'complaint' and is_open)""",
    ) == [(0,)]
    assert _query(tmp, "select count(*) - count(distinct lower(address)) from marketing_audience") == [(0,)]
    # every golden customer is in the audience or suppressed, never both
    assert _query(
        tmp,
        """select (select count(*) from marketing_audience) + (select count(distinct customer_id) from marketing_suppressions),
                  (select count(*) from golden_customers),
                  (select count(*) from marketing_audience semi join marketing_suppressions using (customer_id))""",
    ) == [(_query(tmp, "select count(*) from golden_customers")[0][0],) * 2 + (0,)]
    reasons = dict(_query(tmp, "select reason, count(*) from marketing_suppressions group by reason"))
    assert reasons["opted_out"] == _query(tmp, "select count(*) from golden_customers where marketing_opt_out")[0][0]
    assert reasons["open_complaint"] > 0 and reasons["no_contact"] > 0


def test_every_order_ticket_and_salesperson_row_points_at_a_golden_customer(demo):
    tmp, _ = demo
    for mart in ("customer_orders", "customer_service_tickets", "customer_salespeople", "upcoming_birthdays"):
        assert _query(tmp, f"select count(*) from {mart} anti join golden_customers using (customer_id)") == [(0,)], (
            mart
        )
    # every shop order and ticket of the sources is there once
    assert _query(
        tmp,
        "select count(distinct source_record_key) from customer_source_records where source_system in ('tmall', 'shopify')",
    ) == _query(tmp, "select count(*) from customer_orders")
    assert _query(
        tmp, "select count(*) from customer_source_records where source_system in ('call_center', 'helpdesk')"
    ) == _query(tmp, "select count(*) from customer_service_tickets")
    assert _query(
        tmp, "select count(*) filter (where is_primary) = count(distinct customer_id) from customer_salespeople"
    ) == [(True,)]


def test_marts_are_measured_at_the_runs_date(demo):
    tmp, _ = demo
    assert _query(tmp, "select distinct as_of::varchar from customer_value") == [("2025-10-31",)]
    assert _query(tmp, "select distinct as_of::varchar from upcoming_birthdays") == [("2025-10-31",)]
    assert _query(tmp, "select count(*) from upcoming_birthdays where days_until not between 0 and 30") == [(0,)]
    earlier_run = {**_resources(tmp), "run_settings": RunSettings(as_of="2024-06-30")}
    assert materialize(MART_ASSETS, resources=earlier_run).success
    value = WorkArea(path=str(tmp / "work")).read(work_tables.mart(tables.customer_value))  # noqa: F841  read by DuckDB by name
    earlier = duckdb.sql(
        "select min(as_of)::varchar, max(as_of)::varchar, max(last_order_at) < '2024-07-01' from value"
    )
    assert earlier.fetchall() == [("2024-06-30", "2024-06-30", True)]


def test_lookup_keys_are_indexed(demo):
    tmp, _ = demo
    indexes = {(t, i) for i, t in _query(tmp, "select index_name, table_name from duckdb_indexes()")}
    assert {(t.name, f"ix_{t.name}_{c}") for t, cols in tables.LOOKUP_INDEXES.items() for c in cols} <= indexes


def test_a_mart_failing_its_audit_stops_the_publish(demo, monkeypatch):
    tmp, _ = demo
    before = _query(tmp, "select (select count(*) from pipeline_runs), (select count(*) from customer_orders)")
    monkeypatch.setattr(audits, "orphan_customers", lambda table, golden: {"orphan_rows": 1})
    result = materialize([*MART_ASSETS, published], resources=_resources(tmp), raise_on_error=False)
    assert not result.success
    assert result.asset_materializations_for_node("warehouse__published") == []
    assert _query(tmp, "select (select count(*) from pipeline_runs), (select count(*) from customer_orders)") == before
