"""An incremental run's row changes, on DuckDB and on PostgreSQL: rows gone, changed, new and
kept come out as the run made them, whether the table's changed rows are updated in place or
deleted and inserted again."""

from __future__ import annotations

import pyarrow as pa
import pytest

from warehouse import tables
from warehouse.engine import make_engine
from warehouse.publish import RowChanges, bulk_insert, publish, split_changed, updates_in_place

CHANNELS = tables.marketing_audience_channels
KEY = ["customer_id", "channel"]


def _channels(*rows: tuple[str, str, str, str]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip([c.name for c in CHANNELS.c], row, strict=True)) for row in rows])


BEFORE = _channels(
    ("C000001", "email", "Ann", "ann@example.com"),
    ("C000001", "sms", "Ann", "+8613800000001"),
    ("C000002", "email", "Bo", "bo@example.com"),  # gone
    ("C000003", "email", "Cy", "cy@example.com"),
)
NOW = _channels(
    ("C000001", "email", "Ann", "ann@example.com"),  # kept as it was
    ("C000001", "sms", "Ann Li", "+8613800000001"),  # its name changed
    ("C000003", "email", "Cy", "cy@example.org"),  # its address changed
    ("C000004", "email", "Di", "di@example.com"),  # new
)


def _published(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f'select * from "{CHANNELS.name}" order by 1, 2')]


def test_changed_rows_are_updated_in_place_gone_ones_deleted_and_new_ones_inserted(warehouse_url):
    engine = make_engine(warehouse_url)
    with engine.begin() as conn:
        CHANNELS.create(conn)
        bulk_insert(conn, CHANNELS.name, BEFORE)
    publish(engine, {}, {}, None, {CHANNELS: RowChanges(now=NOW, before=BEFORE, key=KEY)})
    assert _published(engine) == sorted(tuple(r.values()) for r in NOW.to_pylist())


def test_row_changes_split_into_gone_changed_and_new():
    gone = _channels(("C000001", "sms", "", ""), ("C000002", "email", "", "")).select(KEY)
    fresh = _channels(("C000001", "sms", "Ann Li", "x"), ("C000004", "email", "Di", "y"))
    gone_for_good, changed, new = split_changed(gone, fresh)
    assert gone_for_good.to_pylist() == [{"customer_id": "C000002", "channel": "email"}]
    assert changed.column("customer_id").to_pylist() == ["C000001"]
    assert new.column("customer_id").to_pylist() == ["C000004"]


@pytest.mark.parametrize(
    ("table", "in_place"),
    [
        (tables.customer_value, True),  # indexed by its primary key only
        (CHANNELS, True),
        (tables.golden_customers, False),  # lookup indexes on phone and email
        (tables.customer_source_records, False),
        (tables.golden_field_lineage, False),  # no index at all: deleting costs nothing
    ],
)
def test_only_tables_indexed_by_their_primary_key_alone_update_in_place(table, in_place):
    assert updates_in_place(table) is in_place
