"""An incremental run's row changes, on DuckDB and on PostgreSQL: rows gone, changed, new and
kept come out as the run made them, whether a changed row is updated in place or deleted and
inserted again (warehouse.publish.row_writes)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.postgres import rows
from warehouse import tables
from warehouse.engine import make_engine
from warehouse.publish import RowChanges, bulk_insert, publish, row_changes, row_writes

ORDERS = tables.customer_orders  # keyed by order_id, looked up by customer_id
CHANNELS = tables.marketing_audience_channels  # keyed by customer and channel, no lookup index


def _channels(*values: tuple[str, str, str, str]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip([c.name for c in CHANNELS.c], row, strict=True)) for row in values])


ORDERS_BEFORE = rows.orders(
    ("1", "C000001", "paid"),
    ("2", "C000001", "paid"),  # its status changes: updated in place
    ("3", "C000002", "paid"),  # moves to another customer: its indexed column changes
    ("4", "C000003", "paid"),  # gone
)
ORDERS_NOW = rows.orders(
    ("1", "C000001", "paid"),
    ("2", "C000001", "refunded"),
    ("3", "C000004", "paid"),
    ("5", "C000004", "paid"),  # new
)
CHANNELS_BEFORE = _channels(
    ("C000001", "email", "Ann", "ann@example.com"),
    ("C000001", "sms", "Ann", "+8613800000001"),
    ("C000002", "email", "Bo", "bo@example.com"),  # gone
    ("C000003", "email", "Cy", "cy@example.com"),
)
CHANNELS_NOW = _channels(
    ("C000001", "email", "Ann", "ann@example.com"),  # kept as it was
    ("C000001", "sms", "Ann Li", "+8613800000001"),  # its name changed
    ("C000003", "email", "Cy", "cy@example.org"),  # its address changed
    ("C000004", "email", "Di", "di@example.com"),  # new
)


def _published(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.exec_driver_sql(f'select * from "{table.name}"'))


def _rows(data: pa.Table) -> list[tuple]:
    return sorted(tuple(r.values()) for r in data.to_pylist())


@pytest.mark.parametrize(
    ("table", "before", "now", "key"),
    [
        (ORDERS, ORDERS_BEFORE, ORDERS_NOW, ["order_id"]),
        (CHANNELS, CHANNELS_BEFORE, CHANNELS_NOW, ["customer_id", "channel"]),
    ],
    ids=["orders", "channels"],
)
def test_the_published_rows_are_the_runs_whatever_way_each_is_written(warehouse_url, table, before, now, key):
    engine = make_engine(warehouse_url)
    with engine.begin() as conn:
        table.create(conn)
        bulk_insert(conn, table.name, before)
    publish(engine, {}, {}, None, {table: RowChanges(now=now, before=before, key=key)})
    published = _published(engine, table)
    if table is ORDERS:  # Decimal and datetime come back as the driver types them: compare the keys and status
        published = [(r[0], r[1], r[6]) for r in published]
        assert published == sorted(zip(*(now.column(c).to_pylist() for c in ("order_id", "customer_id", "status"))))
    else:
        assert published == _rows(now)


def test_a_change_that_keeps_the_indexed_columns_is_an_update_and_one_that_moves_them_is_not():
    gone, fresh = row_changes(ORDERS_NOW, ORDERS_BEFORE, ["order_id"])
    writes = row_writes(ORDERS, gone, fresh, ORDERS_BEFORE)
    assert writes.updated.column("order_id").to_pylist() == ["2"]
    assert sorted(writes.deleted.column("order_id").to_pylist()) == ["3", "4"]
    assert sorted(writes.inserted.column("order_id").to_pylist()) == ["3", "5"]


def test_a_table_with_no_lookup_index_updates_every_changed_row():
    gone, fresh = row_changes(CHANNELS_NOW, CHANNELS_BEFORE, ["customer_id", "channel"])
    writes = row_writes(CHANNELS, gone, fresh, CHANNELS_BEFORE)
    assert sorted(writes.updated.column("customer_id").to_pylist()) == ["C000001", "C000003"]
    assert writes.deleted.to_pylist() == [{"customer_id": "C000002", "channel": "email"}]
    assert writes.inserted.column("customer_id").to_pylist() == ["C000004"]


def test_a_table_without_a_primary_key_deletes_and_inserts_every_changed_row():
    lineage = tables.golden_field_lineage
    row = {c.name: "x" for c in lineage.c} | {"source_row": 2}
    before, now = pa.Table.from_pylist([row]), pa.Table.from_pylist([row | {"value": "y"}])
    gone, fresh = row_changes(now, before, ["customer_id", "field"])
    writes = row_writes(lineage, gone, fresh, before)
    assert (writes.deleted.num_rows, writes.updated.num_rows, writes.inserted.num_rows) == (1, 0, 1)
