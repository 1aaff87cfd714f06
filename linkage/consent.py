"""Who may be contacted on which channel: the least-permissive rule, per customer and channel.

Each record states consent in its `consent` cell (sources/standardise/consent.py): statements per
channel, or for all channels, each dated (by the source, else by the record) and perhaps expiring.
Per customer and channel:

* a statement that expired before the run's date no longer counts;
* a refusal (opt_out, withdrawal) stands until a LATER explicit opt-in in that channel lifts it:
  an opt-in naming the channel, or an opt-in for all channels when the refusal was for all too.
  Nothing else lifts it: not an opt-in in another channel, an older or undated one, or a purchase.
  An undated refusal is never lifted; on the same date the refusal wins;
* opted_out when a refusal stands, else opted_in when an opt-in counts; no statement, no row.

The deciding statement is the standing refusal the opt-out began with (undated first), else the
latest opt-in. golden_customers.marketing_opt_out is "opted out of every channel" (everywhere()).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from common.arrow_sql import query
from sources.schema import SOURCE_LINEAGE as LINEAGE
from sources.standardise.consent import ALL, CHANNELS, PURPOSE, REFUSALS

CONSENT_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("channel", pa.string()),
        ("purpose", pa.string()),
        ("status", pa.string()),
        ("since", pa.timestamp("us")),
        ("expires", pa.timestamp("us")),
        ("kind", pa.string()),
        ("stated_for", pa.string()),
        ("source_system", pa.string()),
        ("source_file", pa.string()),
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),
    ]
)

_CHANNELS = ", ".join(f"('{c}')" for c in CHANNELS)
_REFUSALS = ", ".join(f"'{k}'" for k in REFUSALS)

STATEMENTS_SQL = f"""
with parts as (
    select customer_id, {LINEAGE}, event_at, trim(unnest(string_split(consent, ';'))) as part
    from records where consent is not null
), parsed as (
    select *, regexp_extract(part, '^(\\w+):(\\w+)(?:@([^~]+))?(?:~(.+))?$', ['named', 'kind', 'stated_at', 'expires']) as s
    from parts where part <> ''
)
select p.customer_id, c.channel, p.s.named as stated_for, p.s.kind as kind,
       coalesce(try_cast(nullif(p.s.stated_at, '') as timestamp), p.event_at) as stated_at,
       try_cast(nullif(p.s.expires, '') as timestamp) as expires, {", ".join("p." + c for c in LINEAGE.split(", "))}
from parsed p join (values {_CHANNELS}) c(channel) on p.s.named in (c.channel, '{ALL}')
where try_cast(nullif(p.s.expires, '') as timestamp) is null or try_cast(nullif(p.s.expires, '') as timestamp) >= $today
"""

# one cell may state a channel twice on one day ('all:opt_out;sms:opt_out'): the statement naming
# the channel itself decides, then the kind and the expiry, so every run publishes the same row
_ONE_RECORDS_TIES = f"stated_for = '{ALL}', kind, expires nulls first"

STANDING_SQL = f"""
with standing as (
    select r.* from statements r
    where r.kind in ({_REFUSALS}) and not exists (
        select 1 from statements o
        where o.customer_id = r.customer_id and o.channel = r.channel and o.kind = 'opt_in'
          and o.stated_at > r.stated_at and (o.stated_for = r.channel or (o.stated_for = '{ALL}' and r.stated_for = '{ALL}')))
), refused as (
    select *, 'opted_out' as status, row_number() over (
        partition by customer_id, channel order by stated_at asc nulls first, {LINEAGE}, {_ONE_RECORDS_TIES}) as rank
    from standing
), allowed as (
    select *, 'opted_in' as status, row_number() over (
        partition by customer_id, channel order by stated_at desc nulls last, {LINEAGE} desc, {_ONE_RECORDS_TIES}) as rank
    from statements s
    where kind = 'opt_in' and not exists (
        select 1 from standing r where r.customer_id = s.customer_id and r.channel = s.channel)
)
select customer_id, channel, '{PURPOSE}' as purpose, status, stated_at as since, expires, kind, stated_for, {LINEAGE}
from (select * from refused where rank = 1 union all select * from allowed where rank = 1)
order by customer_id, channel
"""

EVERYWHERE_SQL = f"""
select customer_id, since as marketing_opt_out_at,
       source_system || ':' || source_file || ':' || source_sheet || ':' || source_row as marketing_opt_out_source,
       {LINEAGE}
from (select *, count(*) over (partition by customer_id) as channels,
             row_number() over (partition by customer_id order by since desc nulls first, {LINEAGE}) as rank
      from consent where status = 'opted_out')
where channels = {len(CHANNELS)} and rank = 1
order by customer_id
"""


def statements(records: pa.Table, today: date) -> pa.Table:
    """One row per statement and channel it covers (an 'all' statement once per channel), unexpired
    at `today`; `records` holds customer_id, the source lineage, event_at and consent."""
    return query(STATEMENTS_SQL, {"today": today}, records=records)


def customer_consent(records: pa.Table, today: date) -> pa.Table:
    """The customer_consent table: one row per customer and channel they made a statement about."""
    table = query(STANDING_SQL, statements=statements(records, today))
    return table.cast(CONSENT_SCHEMA) if table.num_rows else CONSENT_SCHEMA.empty_table()


def everywhere(consent: pa.Table) -> pa.Table:
    """The customers opted out of every channel, each with the statement that completed it (the latest)."""
    return query(EVERYWHERE_SQL, consent=consent)
