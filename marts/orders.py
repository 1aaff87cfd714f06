"""customer_orders: one row per shop order, whoever's export it came from.

A Shopify export repeats an order over one row per line item (the total on the first row only); a
Tmall export has one row per order. An order seen in two overlapping export files is read from
the first file only, so its items are not doubled.
"""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query
from sources.schema import SOURCE_LINEAGE_COLUMNS
from sources.systems import ORDER_SYSTEMS

# Completed and paid: only these count toward a customer's value (closed, refunded, pending and
# shipped-but-unconfirmed orders do not).
SUCCESSFUL_STATUSES = ["交易成功", "paid"]

# the canonical columns the orders come from
CANONICAL_COLUMNS = [
    *SOURCE_LINEAGE_COLUMNS,
    "source_record_key",
    "event_at",
    "order_amount",
    "currency",
    "order_status",
    "items",
]

ORDERS_SQL = """
with lines as (
    select x.customer_id, c.source_system, c.source_record_key as order_id, c.source_file, c.source_row,
           c.event_at, c.order_amount, c.currency, c.order_status, c.items,
           c.source_file = min(c.source_file) over (partition by c.source_system, c.source_record_key) as in_first_file
    from canonical c
    join crosswalk x using (source_file, source_sheet, source_row)
    where list_contains($shops, c.source_system) and c.source_record_key is not null
)
select order_id,
       -- the order's first line item (arg_min_null: that row's value even when null, without a sort per column)
       arg_min_null(customer_id, source_row) as customer_id,
       source_system,
       arg_min_null(event_at, source_row) as ordered_at,
       arg_min_null(order_amount, source_row) as amount,
       arg_min_null(currency, source_row) as currency,
       arg_min_null(order_status, source_row) as status,
       coalesce(list_contains($successful, arg_min_null(order_status, source_row)), false) as is_successful,
       string_agg(items, '; ' order by source_row) as items,
       source_file
from lines
where in_first_file
group by source_system, order_id, source_file
order by ordered_at, order_id
"""


def build_orders(canonical: pa.Table, crosswalk: pa.Table) -> pa.Table:
    return query(
        ORDERS_SQL,
        {"shops": list(ORDER_SYSTEMS), "successful": SUCCESSFUL_STATUSES},
        canonical=canonical,
        crosswalk=crosswalk,
    )
