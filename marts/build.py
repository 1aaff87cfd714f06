"""Every customer-360 mart at once: built whole (a full run), or updated for the customers an
incremental run changed, every other customer's rows kept as last published.

An update gives the tables a whole build gives (tests/marts/test_marts_demo.py holds them equal):

* orders and tickets are rebuilt for every order or ticket a changed customer's record is a line
  of, from all its lines, whoever's they are now (an order's customer is its first line's);
* consent and salespeople are per customer, from their records: the changed customers' are rebuilt;
* the marts read from the golden table are built again whole from it and the updated marts:
  customer_value ranks customers against each other (RFM quintiles, the A/B/C tiers), the
  audience gives an address shared by customers to one of them, and a correction by request
  changes a kept customer's golden row (its birthday too). They cost a fraction of their inputs.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from common.arrow_sql import query
from common.sets import outside, within
from linkage.consent import customer_consent
from marts.audience import build_audience
from marts.birthdays import build_birthdays
from marts.orders import build_orders
from marts.salespeople import build_salespeople
from marts.tickets import build_tickets
from marts.value import build_value
from warehouse import tables

# the canonical lines of every order or ticket one of these records is a line of
TOUCHED_LINES_SQL = """
with touched as (
    select distinct c.source_system, c.source_record_key
    from canonical c semi join records using (source_file, source_sheet, source_row)
    where c.source_record_key is not null
)
select c.* from canonical c semi join touched using (source_system, source_record_key)
"""
# the kept rows of a mart keyed by source system and id: those not built again
NOT_REBUILT_SQL = "select kept.* from kept anti join fresh using (source_system, {key})"


def build_marts(
    golden: pa.Table,
    crosswalk_keys: pa.Table,
    canonical: pa.Table,
    sales_records: pa.Table,
    consent_records: pa.Table,
    today: date,
    value_predictions: pa.Table | None = None,
    by_prediction: bool = False,
) -> dict:
    """Every mart, by its warehouse table; value_predictions: the value model's (None: null columns)."""
    return _with_golden_marts(
        golden,
        build_orders(canonical, crosswalk_keys),
        build_tickets(canonical, crosswalk_keys),
        customer_consent(consent_records, today),
        build_salespeople(sales_records),
        today,
        value_predictions,
        by_prediction,
    )


def update_marts(
    kept: dict,
    changed: pa.Array,
    golden: pa.Table,
    crosswalk_keys: pa.Table,
    canonical: pa.Table,
    sales_records: pa.Table,
    consent_records: pa.Table,
    today: date,
    value_predictions: pa.Table | None = None,
    by_prediction: bool = False,
) -> dict:
    """build_marts' tables, given `kept` (each mart as last published, built at this same date)
    and `changed` (the customers this run resolved again, the retired ones among them): the
    inputs are the run's whole tables, of which only the changed customers' rows are read again."""
    lines = touched_lines(canonical, crosswalk_keys, changed)
    orders = _keyed(kept[tables.customer_orders], build_orders(lines, crosswalk_keys), changed, "order_id")
    tickets = _keyed(kept[tables.customer_service_tickets], build_tickets(lines, crosswalk_keys), changed, "ticket_id")
    consent = _replaced(
        kept[tables.customer_consent],
        customer_consent(within(consent_records, "customer_id", changed), today),
        changed,
    )
    salespeople = _replaced(
        kept[tables.customer_salespeople], build_salespeople(within(sales_records, "customer_id", changed)), changed
    )
    return _with_golden_marts(golden, orders, tickets, consent, salespeople, today, value_predictions, by_prediction)


def touched_lines(canonical: pa.Table, crosswalk_keys: pa.Table, changed: pa.Array) -> pa.Table:
    """The canonical lines of every order or ticket one of the changed customers' records is a line of."""
    return query(TOUCHED_LINES_SQL, canonical=canonical, records=within(crosswalk_keys, "customer_id", changed))


def _with_golden_marts(
    golden: pa.Table,
    orders: pa.Table,
    tickets: pa.Table,
    consent: pa.Table,
    salespeople: pa.Table,
    today: date,
    value_predictions: pa.Table | None,
    by_prediction: bool,
) -> dict:
    """The marts built from the records' marts, with those built from them and the golden table whole."""
    by_channel, audience, suppressions = build_audience(golden, consent, tickets)
    return {
        tables.customer_orders: orders,
        tables.customer_service_tickets: tickets,
        tables.customer_value: build_value(golden, orders, today, value_predictions, by_prediction),
        tables.customer_consent: consent,
        tables.marketing_audience: audience,
        tables.marketing_audience_channels: by_channel,
        tables.marketing_suppressions: suppressions,
        tables.customer_salespeople: salespeople,
        tables.upcoming_birthdays: build_birthdays(golden, salespeople, today),
    }


def _replaced(kept: pa.Table, fresh: pa.Table, changed: pa.Array) -> pa.Table:
    """A per-customer mart: the changed customers' rows built again, the others' kept."""
    rest = outside(kept, "customer_id", changed)
    return pa.concat_tables([rest, fresh.cast(rest.schema)])


def _keyed(kept: pa.Table, fresh: pa.Table, changed: pa.Array, key: str) -> pa.Table:
    """An order or ticket mart: the rebuilt orders (or tickets), and the kept ones neither rebuilt
    nor a changed customer's (one whose records left: a changed file, an erasure)."""
    rest = query(NOT_REBUILT_SQL.format(key=key), kept=outside(kept, "customer_id", changed), fresh=fresh)
    return pa.concat_tables([rest.cast(kept.schema), fresh.cast(kept.schema)])
