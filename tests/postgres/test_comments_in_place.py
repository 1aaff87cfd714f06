"""A table an incremental run changes in place (not created again) gets its definition's comments
too, on DuckDB and on PostgreSQL: one made by an older version without them gains them."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, Table

from tests.postgres import rows
from warehouse import tables
from warehouse.comments import read_comments
from warehouse.engine import make_engine
from warehouse.publish import RowChanges, bulk_insert, publish


def test_a_table_changed_in_place_gains_its_comments(warehouse_url):
    engine, orders = make_engine(warehouse_url), tables.customer_orders
    undescribed = Table(orders.name, MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key) for c in orders.c))
    with engine.begin() as conn:
        undescribed.create(conn)
        bulk_insert(conn, orders.name, rows.orders(("3000001", "C000001", "paid")))
    change = RowChanges(
        now=rows.orders(("3000001", "C000001", "refunded")),
        before=rows.orders(("3000001", "C000001", "paid")),
        key=["order_id"],
    )
    publish(engine, {}, {}, None, {orders: change})
    with engine.connect() as conn:
        table_comment, columns = read_comments(conn)[orders.name]
        status = conn.exec_driver_sql("select status from customer_orders").scalar()
    assert status == "refunded"  # changed row by row, not replaced
    assert table_comment == orders.comment
    assert columns == {c.name: c.comment for c in orders.c} and all(columns.values())
