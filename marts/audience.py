"""marketing_audience_channels, marketing_audience and marketing_suppressions: on which channels
marketing may contact each customer, at which one address, and why everyone else is left out.

Per customer and channel (email, sms, phone, wechat, mail), the address is the golden email, phone
(sms and phone), WeChat ID or postal address. A customer may be contacted on a channel unless:

* opted_out: customer_consent says opted_out in that channel (linkage/consent.py: an opt-out
  stands until a later opt-in in the same channel);
* open_complaint: the customer has a complaint ticket that is still open (every channel);

and, among the rest:

* address_opted_out: the address is also that of a customer opted out of the same channel; a
  message to it would reach someone who said no;
* shared_address: another customer has the same address; it goes to one of them only, the one
  seen most recently (ties: the lowest customer_id), so the choice is stable.

marketing_audience_channels holds every (customer, channel) left; marketing_audience each of its
customers once, at the first channel in CHANNEL_PREFERENCE. Every golden customer is in exactly one
of marketing_audience and marketing_suppressions (once per reason): a suppressed customer may be
contacted on no channel (no_contact: they have no address at all).

An incremental run updates the three tables (`update_audience`) for the customers whose rows can
differ: those whose golden contact fields, marketing consent or open complaints changed, and every
customer holding an address one of them holds or held (its holder may be another one now). Their
rows are decided again over every customer holding one of their addresses, so each address is
given out among all its holders, as a whole build gives it.
"""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query
from common.sets import outside, within
from sources.standardise.consent import PURPOSE

# the channel marketing_audience names when a customer may be contacted on several (email first, as before)
CHANNEL_PREFERENCE = ("email", "phone", "sms", "wechat", "mail")
# each channel's address in golden_customers
CHANNEL_ADDRESS = {"email": "email", "phone": "phone", "sms": "phone", "wechat": "wechat", "mail": "address"}
_PREFERENCE = ", ".join(f"('{c}', {i})" for i, c in enumerate(CHANNEL_PREFERENCE, start=1))
_ADDRESS = " ".join(f"when '{c}' then g.{column}" for c, column in CHANNEL_ADDRESS.items())

# open complaints keep a customer out of every channel
COMPLAINTS_SQL = """select customer_id, 'open complaint ticket(s) ' || string_agg(ticket_id, ', ' order by ticket_id) as detail
from tickets where is_open and ticket_type = 'complaint' group by customer_id"""
DECISIONS_SQL = f"""
with reachable as (
    select * from (
        select g.customer_id, g.display_name, g.last_seen_at, p.channel, p.preference,
               case p.channel {_ADDRESS} end as address
        from golden g cross join (values {_PREFERENCE}) p(channel, preference))
    where address is not null
), refused as (
    select customer_id, channel from consent where status = 'opted_out' and purpose = '{PURPOSE}'
    union  -- opted out of every channel (the same rule: kept too, should the two ever part)
    select customer_id, channel from reachable where customer_id in (select customer_id from golden where marketing_opt_out)
), blocked as (
    select customer_id, channel, 'opted_out' as reason, 'opted out of ' || channel as detail
    from reachable semi join refused using (customer_id, channel)
    union all
    select r.customer_id, r.channel, 'open_complaint', c.detail from reachable r join complaints c using (customer_id)
), opted_out_addresses as (
    select channel, lower(address) as address_key, min(customer_id) as opted_out_customer
    from reachable semi join refused using (customer_id, channel)
    group by 1, 2
), eligible as (
    -- one holder per address over every channel: no address reaches two customers, whatever the channel
    select r.*, first_value(r.customer_id) over (
               partition by lower(r.address) order by r.last_seen_at desc nulls last, r.customer_id) as address_holder
    from reachable r anti join blocked b using (customer_id, channel)
)
select e.customer_id, e.display_name, e.channel, e.preference, e.address,
       case when o.address_key is not null then 'address_opted_out'
            when e.address_holder <> e.customer_id then 'shared_address' end as reason,
       case when o.address_key is not null
                then e.channel || ': address also belongs to customer ' || o.opted_out_customer || ', opted out of it'
            when e.address_holder <> e.customer_id then e.channel || ': address goes to customer ' || e.address_holder
       end as detail
from eligible e left join opted_out_addresses o on o.channel = e.channel and o.address_key = lower(e.address)
union all
select b.customer_id, r.display_name, b.channel, r.preference, r.address, b.reason, b.detail
from blocked b join reachable r using (customer_id, channel)
"""

CHANNELS_SQL = """select customer_id, channel, display_name, address from decisions where reason is null
order by customer_id, channel"""
AUDIENCE_SQL = """select customer_id, display_name, channel, address from (
    select *, row_number() over (partition by customer_id order by preference) as rank
    from decisions where reason is null)
where rank = 1 order by customer_id"""
# customers contactable on no channel, once per reason, with the channels it held on
SUPPRESSIONS_SQL = """
with suppressed as (select customer_id from golden anti join (select customer_id from decisions where reason is null) using (customer_id))
select customer_id, reason, detail from (
    select customer_id, reason,
           case when reason = 'opted_out' then 'opted out of ' || string_agg(channel, ', ' order by preference)
                else string_agg(detail, '; ' order by preference) end as detail
    from decisions semi join suppressed using (customer_id)
    where reason is not null and reason <> 'open_complaint'
    group by customer_id, reason
    union all
    select customer_id, 'open_complaint', detail from complaints semi join suppressed using (customer_id)
    union all
    select customer_id, 'no_contact', 'no email, phone, WeChat or postal address'
    from suppressed anti join decisions using (customer_id))
order by customer_id, reason
"""


# what a customer's audience rows are decided from, besides the other holders of their addresses
_ADDRESS_COLUMNS = tuple(dict.fromkeys(CHANNEL_ADDRESS.values()))
_DECIDED_FROM = ", ".join(("customer_id", "display_name", "last_seen_at", "marketing_opt_out", *_ADDRESS_COLUMNS))
_REFUSALS = f"select customer_id, channel from {{}} where status = 'opted_out' and purpose = '{PURPOSE}'"


def _address_keys(golden: str) -> str:
    """Each customer's addresses on every channel, compared as DECISIONS_SQL compares them (lowercased)."""
    return " union all ".join(
        f"select customer_id, lower({c}) as address_key from {golden} where {c} is not null" for c in _ADDRESS_COLUMNS
    )


def _differing(before: str, now: str) -> str:
    """The customers with a row in one query's result and not in the other's (rows compared by a
    64-bit hash, as the publish compares them: three times faster than EXCEPT on the golden table)."""
    b, n = (f"(select customer_id, hash(_row) as row_hash from ({q}) _row)" for q in (before, now))
    return f"""(select customer_id from {b} anti join {n} using (customer_id, row_hash))
    union (select customer_id from {n} anti join {b} using (customer_id, row_hash))"""


# the customers whose audience rows can differ between two sets of inputs: those whose own inputs
# differ, and every customer now holding an address one of them holds or held
REACHED_SQL = f"""
with differing as (
    {_differing(f"select {_DECIDED_FROM} from golden_before", f"select {_DECIDED_FROM} from golden")}
    union {_differing(_REFUSALS.format("consent_before"), _REFUSALS.format("consent"))}
    union {_differing("select * from complaints_before", "select * from complaints")}
), keys as ({_address_keys("golden")}),
touched as (
    select address_key from ({_address_keys("(from golden_before semi join differing using (customer_id))")})
    union select address_key from ({_address_keys("(from golden semi join differing using (customer_id))")})
)
select customer_id from differing
union select customer_id from keys semi join touched using (address_key)
"""
# those customers and every customer holding one of their addresses: whom their rows are decided among
HOLDERS_SQL = f"""
with keys as ({_address_keys("golden")})
select customer_id from reached
union select customer_id from keys
    semi join (select address_key from keys semi join reached using (customer_id)) using (address_key)
"""


def build_audience(golden: pa.Table, consent: pa.Table, tickets: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(marketing_audience_channels, marketing_audience, marketing_suppressions) from the golden
    customers, their customer_consent and their service tickets."""
    complaints = query(COMPLAINTS_SQL, tickets=tickets)
    decisions = query(DECISIONS_SQL, golden=golden, consent=consent, complaints=complaints)
    return _audience_tables(golden, decisions, complaints)


def update_audience(
    kept: tuple[pa.Table, pa.Table, pa.Table],
    before: tuple[pa.Table, pa.Table, pa.Table],
    now: tuple[pa.Table, pa.Table, pa.Table],
) -> tuple[tuple[pa.Table, pa.Table, pa.Table], pa.Array]:
    """build_audience's tables over `now` (golden, consent, tickets), given `kept`, its tables over
    `before`: the rows of the customers they can differ for are decided again, the others kept.
    With them, those customers (no other customer's rows differ from the kept ones)."""
    (golden_before, consent_before, tickets_before), (golden, consent, tickets) = before, now
    complaints_before, complaints = (query(COMPLAINTS_SQL, tickets=t) for t in (tickets_before, tickets))
    reached = (
        query(
            REACHED_SQL,
            golden_before=golden_before,
            golden=golden,
            consent_before=consent_before,
            consent=consent,
            complaints_before=complaints_before,
            complaints=complaints,
        )
        .column("customer_id")
        .combine_chunks()
    )
    holders = query(HOLDERS_SQL, golden=golden, reached=pa.table({"customer_id": reached}))
    holders = holders.column("customer_id").combine_chunks()
    among = (within(t, "customer_id", holders) for t in (golden, consent, complaints))
    decisions = within(
        query(DECISIONS_SQL, **dict(zip(("golden", "consent", "complaints"), among))), "customer_id", reached
    )
    fresh = _audience_tables(
        within(golden, "customer_id", reached), decisions, within(complaints, "customer_id", reached)
    )
    updated = tuple(
        pa.concat_tables([outside(old, "customer_id", reached), new.cast(old.schema)]) for old, new in zip(kept, fresh)
    )
    return updated, reached


def _audience_tables(
    golden: pa.Table, decisions: pa.Table, complaints: pa.Table
) -> tuple[pa.Table, pa.Table, pa.Table]:
    return (
        query(CHANNELS_SQL, decisions=decisions),
        query(AUDIENCE_SQL, decisions=decisions),
        query(SUPPRESSIONS_SQL, golden=golden, decisions=decisions, complaints=complaints),
    )
