"""customer_service_tickets: one row per service ticket, with whether it is still open."""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query
from sources.schema import SOURCE_LINEAGE_COLUMNS
from sources.service_logs import OPEN_STATUSES
from sources.systems import TICKET_SYSTEMS

# the canonical columns the tickets come from
CANONICAL_COLUMNS = [
    *SOURCE_LINEAGE_COLUMNS,
    "source_record_key",
    "event_at",
    "channel",
    "ticket_type",
    "ticket_status",
    "satisfaction",
    "related_order_id",
    "ticket_text",
]

TICKETS_SQL = """
select c.source_record_key as ticket_id, x.customer_id, c.source_system, c.event_at as created_at, c.channel,
       c.ticket_type, c.ticket_status as status, c.satisfaction,
       coalesce(list_contains($open, lower(trim(c.ticket_status))), false) as is_open,
       c.related_order_id, c.ticket_text as summary, c.source_file
from canonical c
join crosswalk x using (source_file, source_sheet, source_row)
where list_contains($systems, c.source_system) and c.source_record_key is not null
-- a ticket in two overlapping exports is kept once
qualify row_number() over (partition by c.source_system, c.source_record_key order by c.source_file, c.source_row) = 1
order by created_at, ticket_id
"""


def build_tickets(canonical: pa.Table, crosswalk: pa.Table) -> pa.Table:
    params = {"systems": list(TICKET_SYSTEMS), "open": sorted(OPEN_STATUSES)}
    return query(TICKETS_SQL, params, canonical=canonical, crosswalk=crosswalk)
