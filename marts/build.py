"""Every customer-360 mart at once: built whole (a full run), or updated for the customers an
incremental run changed, every other customer's rows kept as last published.

An update gives the tables a whole build gives (tests/marts/test_marts_demo.py holds them equal):

* orders and tickets are rebuilt for every order or ticket a changed customer's record is a line
  of, from all its lines, whoever's they are now (an order's customer is its first line's);
* consent and salespeople are per customer, from their records: the changed customers' are rebuilt;
* the audience is decided again for the customers whose golden contact fields, consent or open
  complaints differ from the last published ones, and for those sharing an address with them
  (marts/audience.py): an address shared by customers goes to one of them;
* customer_value and the birthdays are built again whole from the golden table and the updated
  marts: customer_value ranks customers against each other (RFM quintiles, the A/B/C tiers), and a
  correction by request changes a kept customer's golden row (its birthday too). They cost a
  fraction of their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table

from common.arrow_sql import query
from common.sets import outside, within
from linkage.consent import customer_consent
from marts.audience import build_audience, update_audience
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
# the marts build_audience gives, in its order
AUDIENCE_TABLES = (tables.marketing_audience_channels, tables.marketing_audience, tables.marketing_suppressions)
# the kept rows of a mart keyed by source system and id: those not built again
NOT_REBUILT_SQL = "select kept.* from kept anti join fresh using (source_system, {key})"
# the customers the rebuilt orders (or tickets) had when last published
REBUILT_CUSTOMERS_SQL = "select distinct kept.customer_id from kept semi join fresh using (source_system, {key})"


@dataclass(frozen=True)
class MartInputs:
    """What the marts are built from: the run's whole tables."""

    golden: pa.Table
    crosswalk_keys: pa.Table  # each record's customer, by lineage key
    canonical: pa.Table  # the order and ticket columns
    sales_records: pa.Table  # the crosswalk's customer_id, salesperson, event_at
    consent_records: pa.Table  # the crosswalk's customer_id, source lineage, event_at, consent
    today: date
    value_predictions: pa.Table | None = None  # the value model's (None: null columns)
    by_prediction: bool = False  # tiers by predicted value (marts.value.tiers_by_prediction)


def build_marts(inputs: MartInputs) -> dict:
    """Every mart, by its warehouse table."""
    return _with_golden_marts(
        inputs,
        build_orders(inputs.canonical, inputs.crosswalk_keys),
        build_tickets(inputs.canonical, inputs.crosswalk_keys),
        customer_consent(inputs.consent_records, inputs.today),
        build_salespeople(inputs.sales_records),
    )


@dataclass(frozen=True)
class MartUpdate:
    """update_marts' result."""

    marts: dict  # every mart, by its warehouse table, as build_marts gives it
    # per mart updated customer by customer: the customers whose rows may differ from the kept
    # ones (every other customer's rows are the kept ones); a mart built whole is not named
    scopes: dict[Table, pa.Array]


def update_marts(kept: dict, changed: pa.Array, inputs: MartInputs, golden_before: pa.Table) -> MartUpdate:
    """build_marts' tables, given `kept` (each mart as last published, built at this same date),
    `changed` (the customers this run resolved again, the retired ones among them) and
    `golden_before` (the golden table as last published): of the inputs, only the changed
    customers' rows are read again."""
    crosswalk_keys, today = inputs.crosswalk_keys, inputs.today
    lines = touched_lines(inputs.canonical, crosswalk_keys, changed)
    orders, order_scope = _keyed(kept[tables.customer_orders], build_orders(lines, crosswalk_keys), changed, "order_id")
    tickets, ticket_scope = _keyed(
        kept[tables.customer_service_tickets], build_tickets(lines, crosswalk_keys), changed, "ticket_id"
    )
    consent = _replaced(
        kept[tables.customer_consent],
        customer_consent(within(inputs.consent_records, "customer_id", changed), today),
        changed,
    )
    salespeople = _replaced(
        kept[tables.customer_salespeople],
        build_salespeople(within(inputs.sales_records, "customer_id", changed)),
        changed,
    )
    audience, reached = update_audience(
        tuple(kept[t] for t in AUDIENCE_TABLES),
        (golden_before, kept[tables.customer_consent], kept[tables.customer_service_tickets]),
        (inputs.golden, consent, tickets),
    )
    scopes = {
        tables.customer_orders: order_scope,
        tables.customer_service_tickets: ticket_scope,
        tables.customer_consent: changed,
        tables.customer_salespeople: changed,
        **dict.fromkeys(AUDIENCE_TABLES, reached),
    }
    return MartUpdate(_with_golden_marts(inputs, orders, tickets, consent, salespeople, audience), scopes)


def mart_scopes_table(scopes: dict[Table, pa.Array]) -> pa.Table:
    """MartUpdate.scopes as one table: (mart, customer_id) rows."""
    return pa.table(
        {
            "mart": pa.array([t.name for t, ids in scopes.items() for _ in range(len(ids))], pa.string()),
            "customer_id": pa.concat_arrays([ids.cast(pa.string()) for ids in scopes.values()]),
        }
    )


def mart_scopes(table: pa.Table) -> dict[Table, pa.Array]:
    """mart_scopes_table's table as MartUpdate.scopes."""
    named = set(table.column("mart").to_pylist())
    return {
        mart: pc.filter(table.column("customer_id"), pc.equal(table.column("mart"), mart.name)).combine_chunks()
        for mart in tables.MARTS
        if mart.name in named
    }


def touched_lines(canonical: pa.Table, crosswalk_keys: pa.Table, changed: pa.Array) -> pa.Table:
    """The canonical lines of every order or ticket one of the changed customers' records is a line of."""
    return query(TOUCHED_LINES_SQL, canonical=canonical, records=within(crosswalk_keys, "customer_id", changed))


def _with_golden_marts(
    inputs: MartInputs,
    orders: pa.Table,
    tickets: pa.Table,
    consent: pa.Table,
    salespeople: pa.Table,
    audience: tuple[pa.Table, pa.Table, pa.Table] | None = None,
) -> dict:
    """The marts built from the records' marts, with those built from them and the golden table
    whole (the audience too, unless given)."""
    golden, today = inputs.golden, inputs.today
    by_channel, audience, suppressions = audience or build_audience(golden, consent, tickets)
    return {
        tables.customer_orders: orders,
        tables.customer_service_tickets: tickets,
        tables.customer_value: build_value(golden, orders, today, inputs.value_predictions, inputs.by_prediction),
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


def _keyed(kept: pa.Table, fresh: pa.Table, changed: pa.Array, key: str) -> tuple[pa.Table, pa.Array]:
    """An order or ticket mart: the rebuilt orders (or tickets), and the kept ones neither rebuilt
    nor a changed customer's (one whose records left: a changed file, an erasure); with the
    customers whose rows may differ: the changed ones and those of a rebuilt order, then or now."""
    rest = query(NOT_REBUILT_SQL.format(key=key), kept=outside(kept, "customer_id", changed), fresh=fresh)
    rebuilt_before = query(REBUILT_CUSTOMERS_SQL.format(key=key), kept=kept, fresh=fresh).column("customer_id")
    ids = (changed, fresh.column("customer_id").combine_chunks(), rebuilt_before.combine_chunks())
    scope = pc.unique(pa.concat_arrays([a.cast(pa.string()) for a in ids]))
    return pa.concat_tables([rest.cast(kept.schema), fresh.cast(kept.schema)]), scope
