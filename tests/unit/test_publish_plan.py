"""What a publish writes (warehouse.publish_plan), planned without a warehouse: a full run replaces
every table; an incremental run writes its changed customers' rows and the kept marts row by row."""

from datetime import datetime

import pyarrow as pa

from warehouse import tables
from warehouse.publish_plan import CUSTOMER_KEYED, MART_KEYED, Run, plan_publish

RUN = Run("run-2", datetime(2025, 11, 1, 3, 0), {"model_version": "v1", "match_threshold": 0.9, "review_floor": 0.5})
FILES = pa.Table.from_pylist(
    [
        {"source_file": "shop/a.csv", "rows_read": 3, "staged": 2, "quarantined": 1},
        {"source_file": "shop/b.csv", "rows_read": 1, "staged": 1, "quarantined": 0},
    ]
)
HISTORY = pa.Table.from_pylist([{"customer_id": "C2", "event": "kept", "related_customer_id": None, "record_count": 2}])


def _crosswalk(customers: list[str]) -> pa.Table:
    n = len(customers)
    return pa.table(
        {
            "source_file": ["shop/a.csv"] * n,
            "source_sheet": [""] * n,
            "source_row": pa.array(range(1, n + 1), pa.int64()),
            "customer_id": customers,
        }
    )


def _tables(crosswalk_customers: list[str], golden_customers: list[str]) -> dict:
    """Every published table: the customer tables from these customers, one row in each other one."""
    one = pa.table({"customer_id": ["C1"]})
    found = {table: one for table in (tables.quarantined_records, tables.match_review_queue, *tables.MARTS)}
    return {
        **found,
        tables.customer_source_records: _crosswalk(crosswalk_customers),
        tables.golden_customers: pa.table({"customer_id": golden_customers}),
        tables.golden_field_lineage: pa.table(
            {"customer_id": golden_customers, "field": ["email"] * len(golden_customers)}
        ),
    }


def test_a_full_run_replaces_every_table_and_registers_every_record():
    now = _tables(["C1", "C1", "C2"], ["C1", "C2"])
    plan = plan_publish(now, {}, None, HISTORY, FILES, RUN)
    assert plan.changes is None
    assert plan.published == now
    assert plan.registry.column("customer_id").to_pylist() == ["C1", "C1", "C2"]
    assert set(plan.registry.column("first_run_id").to_pylist()) == {"run-2"}
    [run_row] = plan.appends[tables.pipeline_runs].to_pylist()
    assert (run_row["rows_read"], run_row["staged"], run_row["quarantined"], run_row["golden_customers"]) == (
        4,
        3,
        1,
        2,
    )
    assert (run_row["model_version"], run_row["match_threshold"], run_row["status"]) == ("v1", 0.9, "published")
    [event] = plan.appends[tables.customer_id_history].to_pylist()
    assert (event["customer_id"], event["run_id"], event["at"]) == ("C2", "run-2", RUN.at)


def test_an_incremental_run_writes_its_changed_customers_and_the_kept_marts_row_by_row():
    now = _tables(["C1", "C2", "C3"], ["C1", "C2", "C3"])
    before = _tables(["C1", "C2", "C2"], ["C1", "C2"])
    del before[tables.customer_value]  # a mart with no kept version is replaced
    changed = pa.array(["C2", "C3"], pa.string())
    plan = plan_publish(now, before, changed, HISTORY, FILES, RUN)
    for table, key in CUSTOMER_KEYED.items():
        change = plan.changes[table]
        assert change.key == key and not change.whole
        assert set(change.now.column("customer_id").to_pylist()) == {"C2", "C3"}
        assert set(change.before.column("customer_id").to_pylist()) == {"C2"}
    kept_marts = [mart for mart in MART_KEYED if mart is not tables.customer_value]
    assert all(plan.changes[mart].whole and plan.changes[mart].before is before[mart] for mart in kept_marts)
    assert set(plan.published) == {tables.quarantined_records, tables.match_review_queue, tables.customer_value}
    assert plan.registry.column("customer_id").to_pylist() == ["C2", "C3"]  # the changed customers' records only


def test_a_mart_updated_customer_by_customer_is_compared_on_its_scope_only():
    """marts.build.MartUpdate.scopes: the rows of a mart's scope on both sides, not the whole table."""
    now = _tables(["C1", "C2", "C3"], ["C1", "C2", "C3"])
    before = _tables(["C1", "C2", "C2"], ["C1", "C2"])
    scopes = {tables.customer_consent: pa.array(["C1"], pa.string()), tables.marketing_audience: pa.array(["C9"])}
    plan = plan_publish(now, before, pa.array(["C2", "C3"], pa.string()), HISTORY, FILES, RUN, scopes)
    consent, audience = plan.changes[tables.customer_consent], plan.changes[tables.marketing_audience]
    assert not consent.whole and not audience.whole
    assert [c.column("customer_id").to_pylist() for c in (consent.now, consent.before)] == [["C1"], ["C1"]]
    assert audience.now.num_rows == audience.before.num_rows == 0  # no row of C9 on either side
    assert plan.changes[tables.customer_orders].whole  # no scope: the whole table compared
