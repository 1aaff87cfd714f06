"""Pairs: their one schema, and the pairs that are one customer by definition, whatever the model says."""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import connection
from linkage.features import link_records
from sources.systems import ORDER_SYSTEMS

PAIR_SCHEMA = pa.schema(
    [
        ("record_id_l", pa.int64()),
        ("record_id_r", pa.int64()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("kind", pa.string()),
    ]
)


def deterministic_pairs(canonical: pa.Table, links: pa.Table | None = None) -> pa.Table:
    """Pairs that are the same customer by definition, whatever the model says: the line-item
    rows of one shop order, a ticket with the order it names, and records sharing both a phone
    and an email that are not generic (a person's decision still parts them)."""
    links = link_records(canonical) if links is None else links
    return pa.concat_tables([_order_pairs(canonical), shared_contact_pairs(links)])


def shared_contact_pairs(links: pa.Table) -> pa.Table:
    """Records with the same phone and the same email: one customer, whatever else the batch
    holds (each joins the first record of its phone and email)."""
    con = connection(links=links.select(["record_id", "phone_e164", "email_std"]))
    return (
        con.sql(
            """
        with shared as (
            select record_id, min(record_id) over (partition by phone_e164, email_std) as first_id
            from links where phone_e164 is not null and email_std is not null
        )
        select first_id as record_id_l, record_id as record_id_r, 1.0 as match_probability,
               null::double as match_weight, 'same phone and email' as kind
        from shared where record_id <> first_id
        """
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )


def _order_pairs(canonical: pa.Table) -> pa.Table:
    con = connection(canonical=canonical)
    return (
        con.sql(
            """
        with orders as (
            select record_id, source_record_key as order_id from canonical
            where list_contains($shops, source_system) and source_record_key is not null
        ), first_row as (select order_id, min(record_id) as record_id from orders group by order_id)
        select f.record_id as record_id_l, o.record_id as record_id_r, 1.0 as match_probability,
               null::double as match_weight, 'same order' as kind
        from orders o join first_row f using (order_id) where o.record_id <> f.record_id
        union all
        select least(f.record_id, t.record_id), greatest(f.record_id, t.record_id), 1.0, null, 'ticket names order'
        from canonical t join first_row f on t.related_order_id = f.order_id
        """,
            params={"shops": list(ORDER_SYSTEMS)},
        )
        .to_arrow_table()
        .cast(PAIR_SCHEMA)
    )
